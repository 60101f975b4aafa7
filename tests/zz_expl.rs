use tenet::render::Report;
#[test]
fn expl() {
    let loaded = tenet::load::load(&["rules".into()]);
    let schema = tenet::facts::Schema::new(&loaded.program);
    let names = std::env::var("EX").unwrap_or("eu-production-order".into());
    let n: usize = std::env::var("N").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    let json = std::fs::read(format!("examples/{names}.json")).unwrap();
    let facts = tenet::facts::from_json(&loaded.program, &schema, &json, None).unwrap();
    let mut total = 0;
    for _ in 0..n {
        let outcome = tenet::eval::evaluate(&loaded.program, std::hint::black_box(&facts));
        let mut line = Vec::new();
        Report::new(&loaded.program, &facts, &outcome).write_json_line(true, &mut line);
        total += line.len();
    }
    println!("bytes per line {}", total / n);
}
