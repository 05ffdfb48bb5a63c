"""劳模工匠助企行 assist. The pure matching engine lives in `engine/`; the Django app comes later."""
