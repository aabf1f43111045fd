package sqlite

// ordersMigration keeps placed parts orders (the order as JSON) and the units each took per pack
// and SKU, so stock is counted once for every process sharing the store.
const ordersMigration = `CREATE TABLE orders (
		id              TEXT PRIMARY KEY,
		pack            TEXT NOT NULL,
		conversation_id TEXT NOT NULL DEFAULT '',
		body            BLOB NOT NULL,
		created_at      INTEGER NOT NULL
	);
	CREATE TABLE order_stock (
		pack  TEXT NOT NULL,
		sku   TEXT NOT NULL,
		taken INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (pack, sku)
	);`
