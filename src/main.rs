//! The `gitgrant` binary: hands over to the CLI and turns its outcome into an exit code.

fn main() -> std::process::ExitCode {
    gitgrant::cli::main()
}
