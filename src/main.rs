fn main() -> std::process::ExitCode {
    convene::cli::main()
}
