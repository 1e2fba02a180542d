"""What a clinic does with its records: patients, injectors, visits, lots, recall, safety
rules and templates. Each service opens its own transaction and never imports Qt."""

# The recall summary follows every write from one place: its session hook is registered
# before any service can write.
from app.services import summary as summary
