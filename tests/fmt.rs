use cadence::source::FileId;
#[test]
fn spans_probe() {
    let text = "pipeline p {\nstage s {\n  exit to x when a   # c1\n  exit to y when b as \"l\"  # c2\n}\n}\ncadence c {\n  step a email   # c3\n  step b email after 1d  # c4\n  exit r on e   # c5\n}\n";
    let (f, d) = cadence::syntax::parse_file(FileId(0), text);
    println!("{:?}", d);
    let f = f.unwrap();
    for it in &f.items {
        match it {
            cadence::syntax::ast::Item::Pipeline(p) => for i in &p.items { if let cadence::syntax::ast::PipelineItem::Stage(s) = &i.node { for x in &s.items { println!("{:?}", &text[x.span.range()]); } } },
            cadence::syntax::ast::Item::Cadence(c) => for i in &c.items { println!("{:?}", &text[i.span.range()]); },
            _ => {}
        }
    }
}
