"""What a clinic does with its records: patients, injectors, visits, lots, recall, safety
rules and templates. Each service opens its own transaction and never imports Qt."""
