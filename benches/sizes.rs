fn main() {
    println!("Value {}", std::mem::size_of::<lexum::value::Value>());
    println!(
        "Vector {}",
        std::mem::size_of::<im::Vector<lexum::value::Value>>()
    );
    println!(
        "OrdMap {}",
        std::mem::size_of::<im::OrdMap<lexum::value::Value, lexum::value::Value>>()
    );
    println!(
        "OrdSet {}",
        std::mem::size_of::<im::OrdSet<lexum::value::Value>>()
    );
    println!(
        "Failure {}",
        std::mem::size_of::<lexum::runtime::failure::Failure>()
    );
    println!(
        "Result {}",
        std::mem::size_of::<Result<lexum::value::Value, lexum::runtime::failure::Failure>>()
    );
    println!(
        "Event {}",
        std::mem::size_of::<lexum::runtime::queue::Event>()
    );
}
