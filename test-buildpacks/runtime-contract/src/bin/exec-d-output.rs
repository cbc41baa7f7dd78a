//! An exec.d program: writes `GREETING` (and `ARGS_SEEN` = its argument count) to fd 3.

use libcnb::data::exec_d_program_output_key;
use libcnb::exec_d::write_exec_d_program_output;

fn main() {
    write_exec_d_program_output([
        (exec_d_program_output_key!("GREETING"), "hello from exec.d"),
        (
            exec_d_program_output_key!("ARGS_SEEN"),
            &std::env::args().count().to_string(),
        ),
    ]);
}
