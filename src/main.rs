fn main() -> std::process::ExitCode {
    cadence::cli::main()
}
