package postgres

// ordersMigration keeps placed parts orders (the order as JSON) and the units each took per pack
// and SKU, so stock is counted once for every node sharing the database.
const ordersMigration = `CREATE TABLE orders (
		id              text PRIMARY KEY,
		pack            text NOT NULL,
		conversation_id text NOT NULL DEFAULT '',
		body            jsonb NOT NULL,
		created_at      timestamptz NOT NULL
	);
	CREATE TABLE order_stock (
		pack  text NOT NULL,
		sku   text NOT NULL,
		taken integer NOT NULL DEFAULT 0,
		PRIMARY KEY (pack, sku)
	);`
