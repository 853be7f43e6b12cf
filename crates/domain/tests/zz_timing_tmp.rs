#[test]
fn timing() {
    let text = include_str!("data/jilin-2020-workplan.txt");
    let t = std::time::Instant::now();
    for _ in 0..50 { let _ = domain::text::to_simplified(text); }
    println!("to_simplified x50: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for _ in 0..50 { let _ = domain::workplan::parse(text); }
    println!("parse x50: {:?}", t.elapsed());
    let big = format!("要点\n一、甲\n1.{}", "(".repeat(1_000_000));
    let t = std::time::Instant::now();
    let _ = domain::workplan::parse(&big);
    println!("1M parens: {:?}", t.elapsed());
    let big = "1.\n".repeat(1_000_000);
    let t = std::time::Instant::now();
    let _ = domain::workplan::parse(&big);
    println!("1M items: {:?}", t.elapsed());
    let big = text.repeat(200);
    let t = std::time::Instant::now();
    let _ = domain::workplan::parse(&big);
    println!("4.6MB plan: {:?}", t.elapsed());
}
