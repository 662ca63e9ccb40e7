//! `intake`: see the crate's documentation (`intake --help`).

use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let args = std::env::args_os().collect();
    let code = runtime.block_on(intake_cli::run(args, &mut intake_cli::Console::real()));
    Ok(ExitCode::from(code))
}
