"""Request/response models per direction (XCreate, XUpdate, XPublic)."""
