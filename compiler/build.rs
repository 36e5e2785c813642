//! Generates the parser from `src/grammar.lalrpop` (LALRPOP, LR(1)) at build time.

fn main() {
    // A failure here is a bug in the grammar shipped with the crate: stop the build.
    lalrpop::Configuration::new().use_cargo_dir_conventions().process().expect("grammar.lalrpop must build");
}
