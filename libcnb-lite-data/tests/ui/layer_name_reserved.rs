fn main() {
    let _reserved = libcnb_lite_data::layer_name!("launch");
}
