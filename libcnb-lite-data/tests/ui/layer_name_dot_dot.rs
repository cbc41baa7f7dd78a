use libcnb_lite_data::layer_name;

fn main() {
    let _parent = layer_name!("..");
}
