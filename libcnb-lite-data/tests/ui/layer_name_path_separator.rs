use libcnb_lite_data::layer_name;

fn main() {
    let _escape = layer_name!("../../etc");
}
