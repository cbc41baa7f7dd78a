use libcnb_lite_data::buildpack_id;

fn main() {
    let _id = buildpack_id!("config");
}
