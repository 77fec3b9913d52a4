use cadence::source::*;
#[test]
fn smoke() {
    let mut map = SourceMap::new();
    for e in std::fs::read_dir(std::env::var("D").unwrap_or("tests/cases/good".into())).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        let id = map.add(SourceFile::new(p.display().to_string(), text.clone()));
        let (f, d) = cadence::syntax::parse_file(id, &text);
        print!("{}", cadence::diagnostics::render_human(&map, &d, cadence::diagnostics::ColorChoice::Never));
        println!("{} items={:?}", p.display(), f.map(|f| f.items.len()));
    }
}
