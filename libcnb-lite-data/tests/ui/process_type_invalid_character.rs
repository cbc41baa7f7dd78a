use libcnb_lite_data::process_type;

fn main() {
    let _web = process_type!("web server");
}
