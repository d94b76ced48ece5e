package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Generate returns n products for benchmarks, spread over the demo categories in the demo
// catalog's proportions. The same (n, seed) always gives the same products, and product i
// does not depend on n, so a larger catalog extends a smaller one. SKUs ("G<seed>-..."),
// names and slugs are unique within a seed, and SKUs and slugs across seeds too, so
// catalogs of several seeds can be loaded side by side (and next to the demo catalog).
//
// Names combine brands, series words and model codes; descriptions mix sentences of the
// product's kind with use-case sentences drawn from word pools, so that full-text queries
// have a realistic spread of selectivity: a brand or a chip matches a fraction of a
// percent, a kind of product (keyboard, SSD) a few percent. Prices vary around the demo
// prices of the same kind; about 8% of the products are sold out.
func Generate(n int, seed int64) []Product {
	ms := models()
	ps := make([]Product, n)
	for i := range ps {
		ps[i] = generated(ms, seed, i)
	}
	return ps
}

// generated is product i of seed's catalog.
func generated(ms []model, seed int64, i int) Product {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
	m := ms[rng.IntN(len(ms))]
	sku := fmt.Sprintf("G%d-%s-%07d", seed, m.f.sku, i)

	var name, brand string
	specs := m.specs()
	if m.f.book {
		brand = pick(rng, publishers)
		title, topic := bookTitle(i)
		name = title + " (" + m.v.label + ")"
		m.l.pitch = fmt.Sprintf(pick(rng, bookPitches), topic)
		specs = []Spec{
			s("author", pick(rng, firstNames)+" "+pick(rng, lastNames), ""),
			s("pages", strconv.Itoa(160+rng.IntN(560)), ""),
			s("published", strconv.Itoa(2012+rng.IntN(15)), ""),
			s("format", strings.ToLower(m.v.label), ""),
			s("isbn-13", isbn13(978_2_0000_0000+int64(i)), ""),
		}
	} else {
		brand = m.l.brand
		if rng.IntN(2) == 0 {
			brand = pick(rng, brandHeads) + pick(rng, brandTails)
		}
		model := fmt.Sprintf("%s %s %c%d", pick(rng, series), m.l.model, 'A'+rng.IntN(26), 100+i)
		name = m.f.name(brand, model, m.v)
		specs = append(specs, s("model year", strconv.Itoa(2019+rng.IntN(8)), ""),
			s("warranty", strconv.Itoa(1+rng.IntN(5)), "years"))
	}

	desc := []string{m.l.pitch}
	if m.v.pitch != "" {
		desc = append(desc, m.v.pitch)
	}
	if len(m.f.extras) > 0 && rng.IntN(2) == 0 {
		desc = append(desc, pick(rng, m.f.extras))
	}
	desc = append(desc, fmt.Sprintf(pick(rng, useCases), pick(rng, audiences), pick(rng, projects)))

	skuSlug := strings.ToLower(sku)
	slug := slugify(name, maxSlugLen-len(skuSlug)-1) + "-" + skuSlug
	p := Product{
		SKU: sku, Name: name, Slug: slug, Brand: brand,
		Description: strings.Join(desc, " "),
		Category:    m.f.category,
		PriceMinor:  price(m.l.price, m.v) * int64(70+rng.IntN(71)) / 100,
		Specs:       specs,
		Images:      images(slug, name, rng.IntN(2) == 0),
	}
	if p.PriceMinor >= 2000 {
		p.PriceMinor = p.PriceMinor/100*100 + 99
	}
	p.PriceMinor = max(p.PriceMinor, 99)
	switch r := rng.IntN(100); {
	case r < 8:
		p.Stock = 0
	case r < 90:
		p.Stock = 1 + rng.Int32N(150)
	default:
		p.Stock = 150 + rng.Int32N(2000)
	}
	return p
}

func pick(rng *rand.Rand, words []string) string { return words[rng.IntN(len(words))] }

// bookTitle is the i-th title of the generated books, and its topic: every i has its own
// combination of the pools, with an edition once they run out.
func bookTitle(i int) (title, topic string) {
	topic = titleTopics[i/len(titleHeads)%len(titleTopics)]
	title = titleHeads[i%len(titleHeads)] + " " + topic
	rest := i / (len(titleHeads) * len(titleTopics))
	title += ": " + titleTails[rest%len(titleTails)]
	if ed := rest / len(titleTails); ed > 0 {
		title += fmt.Sprintf(", Edition %d", ed+1)
	}
	return title, topic
}

// Word pools of the generator.
var (
	series = []string{"Aero", "Nova", "Flux", "Orbit", "Pulse", "Vector", "Atlas", "Echo", "Zen", "Core", "Edge", "Prism",
		"Halo", "Quantum", "Ion", "Apex", "Vertex", "Nimbus", "Arc", "Delta", "Sigma", "Titan", "Lumen", "Cobalt", "Onyx",
		"Slate", "Ember", "Frost", "Pixel", "Kernel", "Vim", "Lambda", "Byte", "Stack", "Heap", "Tensor", "Matrix",
		"Neon", "Argon", "Carbon"}
	brandHeads = []string{"Volt", "Byte", "Circuit", "Quark", "Silic", "Photon", "Hex", "Nano", "Giga", "Terra", "Mono",
		"Poly", "Synth", "Logic", "Bit", "Flux", "Core", "Ampere", "Ohm", "Tesla", "Pixel", "Sono", "Aero", "Duo",
		"Omni", "Zephyr", "Kilo", "Mega", "Ortho", "Tactic"}
	brandTails = []string{"tek", "labs", "works", "forge", "craft", "ware", "tronics", "wave", "line", "gate", "nix",
		"ix", "ion", "ly", "core", "stack", "bench", "haus", "logic", "grid"}
	publishers = []string{"Lambda Press", "Stackframe Books", "Heapsort Publishing", "Segfault House", "Monad Media",
		"Pointer & Sons", "Bytecode Books", "Recursive Press", "Nullable Publishing", "Tail Call Books"}
	firstNames = []string{"Maren", "Tomasz", "Ines", "Daniel", "Priya", "Aleksander", "Sofia", "Ken", "Olu", "Clara",
		"Rafael", "Hannah", "Viktor", "Amara", "Marco", "Eva", "Jonas", "Lucia", "Yuki", "Samir", "Freya", "Diego",
		"Anika", "Mateo", "Leila", "Noah", "Zara", "Elif", "Oskar", "Mina"}
	lastNames = []string{"Holt", "Wierzba", "Carvalho", "Okafor", "Raman", "Ny", "Lindqvist", "Watanabe", "Adeyemi",
		"Jensen", "Moreno", "Becker", "Petrov", "Nwosu", "Bianchi", "Novak", "Meyer", "Fernandez", "Tanaka", "Haddad",
		"Larsen", "Silva", "Kowalski", "Rossi", "Nakamura", "Schmidt", "Dubois", "Yilmaz", "Kim", "Osei"}
	titleHeads = []string{"Practical", "Effective", "Pragmatic", "Modern", "Production", "Idiomatic", "Advanced",
		"Hands-On", "Essential", "Fearless", "Reliable", "Scalable", "Concurrent", "Secure", "Test-Driven", "Fast",
		"Real-World", "Minimal", "Distributed", "Functional"}
	titleTopics = []string{"Go", "Rust", "Python", "TypeScript", "Kotlin", "Haskell", "Elixir", "Zig", "C++", "Java",
		"PostgreSQL", "SQLite", "Kafka", "NATS", "gRPC", "GraphQL", "Kubernetes", "Terraform", "Linux", "WebAssembly",
		"Embedded C", "RISC-V Assembly", "OCaml", "Clojure", "Swift", "Erlang", "Redis", "Docker", "eBPF", "Nix"}
	titleTails = []string{"Patterns for Teams", "From Zero to Production", "A Field Guide", "Inside Out",
		"Performance and Profiling", "Testing Strategies", "Design and Architecture", "The Missing Manual",
		"Debugging Techniques", "Concurrency in Depth", "Security by Design", "Recipes and Idioms",
		"Building Command-Line Tools", "Data-Intensive Services", "Observability in Practice"}
	bookPitches = []string{
		"Covers %s from the first program to production, with exercises at the end of every chapter.",
		"Written for developers who know another language and want to be productive in %s quickly.",
		"Each chapter builds part of a real application with %s and explains the trade-offs made.",
		"A deep dive into %s internals, with benchmarks and the reasoning behind every design choice.",
		"Short, focused chapters on %s that you can read between two code reviews.",
		"Lessons learned running %s at scale, told through incidents and their fixes.",
	}
	useCases = []string{"Popular with %s working on %s.", "A favourite of %s building %s.",
		"Chosen by %s for %s.", "Recommended for %s who work on %s."}
	audiences = []string{"backend developers", "embedded engineers", "data engineers", "site reliability engineers",
		"game developers", "students", "open-source maintainers", "security researchers", "hardware hackers",
		"frontend developers", "platform teams", "machine-learning engineers", "mobile developers", "sysadmins",
		"hobbyists", "technical writers", "compiler engineers", "robotics teams"}
	projects = []string{"home labs", "weekend projects", "robotics", "home automation", "CI pipelines",
		"compilers", "databases", "distributed systems", "game engines", "3D printing", "drones", "audio plugins",
		"self-hosted services", "kernel modules", "mechanical keyboards", "synthesizers", "weather stations",
		"retro computing", "IoT sensors", "edge inference"}
)
