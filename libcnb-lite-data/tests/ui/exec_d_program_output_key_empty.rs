use libcnb_lite_data::exec_d_program_output_key;

fn main() {
    let _key = exec_d_program_output_key!("");
}
