// The check runs even where the code is never instantiated.
use libcnb_lite_data::layer::LayerName;
use libcnb_lite_data::layer_name;

#[allow(dead_code)]
fn never_called<T>() -> LayerName {
    layer_name!(".")
}

fn main() {}
