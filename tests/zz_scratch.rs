#[test]
fn scratch() {
    let loaded = tenet::load::load(&["rules".into()]);
    let schema = tenet::facts::Schema::new(&loaded.program);
    let index = tenet::eval::Index::new(&loaded.program);
    let names = std::env::var("EX").unwrap_or_default();
    let n: usize = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    for name in names.split(',').filter(|n| !n.is_empty()) {
        let json = std::fs::read(format!("examples/{name}.json")).unwrap();
        let facts = tenet::facts::from_json(&loaded.program, &schema, &json, None).unwrap();
        let first = tenet::eval::decide(&loaded.program, &index, &facts);
        for _ in 0..n {
            assert_eq!(tenet::eval::decide(&loaded.program, &index, std::hint::black_box(&facts)), first);
        }
    }
}
