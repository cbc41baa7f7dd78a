fn main() {
    let _ = libcnb_lite::additional_buildpack_binary_path!("../escape");
}
