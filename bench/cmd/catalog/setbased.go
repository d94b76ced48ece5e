package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	readmodel "github.com/storefront/storefront/projections/catalog"
	catalogv1 "github.com/storefront/storefront/proto/storefront/catalog/v1"
)

// setBasedSchema holds the set-based build of the catalog read model (the limit of
// catalog.rebuild.api), dropped after each run.
const setBasedSchema = "bench_setbased"

// setBasedBuild builds the catalog read model's products and categories the fastest way
// PostgreSQL can from the same events: one pass over catalog.events (the raw keyset scan)
// decoding each payload once — SQL cannot read protobuf — and COPYing the decoded fields into
// an unlogged staging table, then ONE INSERT … SELECT per table computing every column of the
// projection's DDL (the search vector is its generated column), then the projection's own
// indexes. It returns the events read and the time of the whole build. Only the event types
// the generated catalog holds are folded (created products and categories); any other type
// fails the run rather than giving a limit for a different read model.
func (b *bench) setBasedBuild(ctx context.Context) (int64, time.Duration, error) {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+setBasedSchema+` CASCADE`); err != nil {
		return 0, 0, err
	}
	defer func() {
		_, _ = b.pool.Exec(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+setBasedSchema+` CASCADE`)
	}()
	p := readmodel.New()
	start := time.Now()
	setup := `CREATE SCHEMA ` + setBasedSchema + `; SET search_path = ` + setBasedSchema + `;` + p.DDL(setBasedSchema) + `
		CREATE UNLOGGED TABLE staged_products (id uuid, sku text, name text, slug text, description text, category text,
			brand text, price_minor bigint, currency text, specs jsonb, images jsonb, on_hand integer, stock integer,
			created_at timestamptz);
		CREATE UNLOGGED TABLE staged_categories (slug text, name text, parent text, created_at timestamptz);
		RESET search_path;`
	if _, err := conn.Exec(ctx, setup); err != nil {
		return 0, 0, fmt.Errorf("set-based build: schema: %w", err)
	}

	var (
		products, categories [][]any
		n                    int64
		afterTx, afterGlobal int64
	)
	for {
		rows, err := conn.Query(ctx, `SELECT tx_id, global_position, event_type, payload FROM catalog.events
			WHERE (tx_id, global_position) > ($1, $2) ORDER BY tx_id, global_position LIMIT $3`, afterTx, afterGlobal, pageSize)
		if err != nil {
			return 0, 0, err
		}
		read := 0
		var (
			typ     string
			payload []byte
		)
		for rows.Next() {
			if err := rows.Scan(&afterTx, &afterGlobal, &typ, &payload); err != nil {
				rows.Close()
				return 0, 0, err
			}
			read++
			switch typ {
			case "storefront.catalog.v1.ProductCreated":
				var e catalogv1.ProductCreated
				if err := proto.Unmarshal(payload, &e); err != nil {
					rows.Close()
					return 0, 0, err
				}
				specs, images := readmodel.DetailsJSON(e.GetSpecs(), e.GetImages())
				products = append(products, []any{e.GetProductId(), e.GetSku(), e.GetName(), e.GetSlug(), e.GetDescription(),
					e.GetCategory(), e.GetBrand(), e.GetPriceMinor(), e.GetCurrency(), specs, images, e.GetOnHand(), e.GetAvailable(),
					time.UnixMicro(e.GetCreatedAt()).UTC()})
			case "storefront.catalog.v1.CategoryCreated":
				var e catalogv1.CategoryCreated
				if err := proto.Unmarshal(payload, &e); err != nil {
					rows.Close()
					return 0, 0, err
				}
				categories = append(categories, []any{e.GetSlug(), e.GetName(), e.GetParent(), time.UnixMicro(e.GetCreatedAt()).UTC()})
			default:
				rows.Close()
				return 0, 0, fmt.Errorf("set-based build: the catalog holds %s events, which it does not fold", typ)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, 0, err
		}
		n += int64(read)
		if len(products) >= 10_000 || read < pageSize {
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{setBasedSchema, "staged_products"}, []string{"id", "sku", "name", "slug",
				"description", "category", "brand", "price_minor", "currency", "specs", "images", "on_hand", "stock", "created_at"},
				pgx.CopyFromRows(products)); err != nil {
				return 0, 0, fmt.Errorf("set-based build: copy: %w", err)
			}
			products = products[:0]
		}
		if read < pageSize {
			break
		}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{setBasedSchema, "staged_categories"}, []string{"slug", "name", "parent", "created_at"},
		pgx.CopyFromRows(categories)); err != nil {
		return 0, 0, fmt.Errorf("set-based build: copy categories: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO `+setBasedSchema+`.products (id, sku, name, slug, description, category, brand,
			price_minor, currency, specs, images, on_hand, stock, rating_average, rating_count, status, created_at, updated_at)
		SELECT id, sku, name, slug, description, category, brand, price_minor, currency, specs, images, on_hand, stock,
			0, 0, 'active', created_at, created_at
		FROM `+setBasedSchema+`.staged_products`); err != nil {
		return 0, 0, fmt.Errorf("set-based build: insert products: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO `+setBasedSchema+`.categories (slug, name, parent, created_at)
		SELECT slug, name, parent, created_at FROM `+setBasedSchema+`.staged_categories`); err != nil {
		return 0, 0, fmt.Errorf("set-based build: insert categories: %w", err)
	}
	if _, err := conn.Exec(ctx, `SET search_path = `+setBasedSchema+`;`+p.Indexes(setBasedSchema)+`; RESET search_path`); err != nil {
		return 0, 0, fmt.Errorf("set-based build: indexes: %w", err)
	}
	took := time.Since(start)
	// The same read model: as many products as the projection's active generation holds.
	var got, want int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+setBasedSchema+`.products),
			(SELECT count(*) FROM catalog_products.products)`).Scan(&got, &want); err != nil {
		return 0, 0, err
	}
	if got != want {
		return 0, 0, fmt.Errorf("set-based build: %d products, the read model holds %d", got, want)
	}
	return n, took, nil
}

// adminToken signs the fleet's admin in through the edge.
func (b *bench) adminToken(ctx context.Context) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": benchAdminEmail, "password": benchAdminPassword})
	req, err := http.NewRequestWithContext(ctx, "POST", b.fleet.BaseURL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != 200 {
		return "", fmt.Errorf("admin login: %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&pair); err != nil {
		return "", err
	}
	return pair.AccessToken, nil
}

// apiProjection is a projection as GET /admin/projections shows it.
type apiProjection struct {
	Name             string   `json:"name"`
	State            string   `json:"state"`
	ActiveGeneration int      `json:"active_generation"`
	Error            string   `json:"error"`
	Rebuild          rebuildP `json:"rebuild"`
}

type rebuildP struct {
	Position float64 `json:"position"`
	Total    float64 `json:"total"`
	Rate     float64 `json:"rate"`
	Applied  float64 `json:"applied"`
}

func (b *bench) adminCall(ctx context.Context, token, method, path string, out any) error {
	var body *bytes.Reader
	if method == "POST" {
		body = bytes.NewReader([]byte("{}"))
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.fleet.BaseURL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

func (b *bench) catalogProjection(ctx context.Context, token string) (apiProjection, error) {
	var list struct {
		Items []apiProjection `json:"items"`
	}
	if err := b.adminCall(ctx, token, "GET", "/api/v1/admin/projections", &list); err != nil {
		return apiProjection{}, err
	}
	for _, p := range list.Items {
		if p.Name == readmodel.Name {
			return p, nil
		}
	}
	return apiProjection{}, fmt.Errorf("no projection %s in GET /admin/projections", readmodel.Name)
}

// apiRebuild asks for a blue/green rebuild of the catalog read model through the operators'
// API and polls its progress until the new generation is switched in. It returns how long
// that took from the request, and whether the progress ever went back.
func (b *bench) apiRebuild(ctx context.Context, token string) (took time.Duration, samples int, backwards int, err error) {
	before, err := b.catalogProjection(ctx, token)
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	if err := b.adminCall(ctx, token, "POST", "/api/v1/admin/projections/"+readmodel.Name+"/rebuild", nil); err != nil {
		return 0, 0, 0, err
	}
	var last float64
	for {
		p, err := b.catalogProjection(ctx, token)
		if err != nil {
			return 0, 0, 0, err
		}
		switch {
		case p.State == "rebuilding":
			samples++
			if p.Rebuild.Position < last {
				backwards++
			}
			last = p.Rebuild.Position
		case p.State == "failed":
			return 0, 0, 0, fmt.Errorf("the rebuild failed: %s", p.Error)
		case p.State == "live" && p.ActiveGeneration > before.ActiveGeneration:
			return time.Since(start), samples, backwards, nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
