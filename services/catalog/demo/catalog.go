package demo

import (
	"fmt"
	"strings"
)

// Categories returns the demo category tree, parents before their children.
func Categories() []Category {
	return []Category{
		{Slug: "keyboards", Name: "Keyboards"},
		{Slug: "mechanical-keyboards", Name: "Mechanical keyboards", Parent: "keyboards"},
		{Slug: "split-keyboards", Name: "Split & ergonomic keyboards", Parent: "keyboards"},
		{Slug: "keycaps-and-switches", Name: "Keycaps & switches", Parent: "keyboards"},
		{Slug: "mice", Name: "Mice & trackballs"},
		{Slug: "dev-boards", Name: "Dev boards & tools"},
		{Slug: "microcontrollers", Name: "Microcontroller boards", Parent: "dev-boards"},
		{Slug: "single-board-computers", Name: "Single-board computers", Parent: "dev-boards"},
		{Slug: "monitors", Name: "Monitors"},
		{Slug: "books", Name: "Books"},
		{Slug: "programming-books", Name: "Programming books", Parent: "books"},
		{Slug: "audio", Name: "Audio"},
		{Slug: "headphones", Name: "Headphones", Parent: "audio"},
		{Slug: "microphones", Name: "Microphones", Parent: "audio"},
		{Slug: "storage", Name: "Storage"},
		{Slug: "networking", Name: "Networking"},
		{Slug: "accessories", Name: "Accessories"},
		{Slug: "cables", Name: "Cables & adapters", Parent: "accessories"},
		{Slug: "docks-and-hubs", Name: "Docks & hubs", Parent: "accessories"},
	}
}

// Products returns the demo catalog: every line of every family in each of its variants.
// SKUs, names and slugs are unique; about one product in ten is sold out.
func Products() []Product {
	var ps []Product
	for _, m := range models() {
		sku := fmt.Sprintf("SF-%s-%02d%d", m.f.sku, m.li+1, m.vi+1)
		name := m.f.name(m.l.brand, m.l.model, m.v)
		slug := slugify(name, maxSlugLen)
		h := hash(sku)
		desc := []string{m.l.pitch}
		if m.v.pitch != "" {
			desc = append(desc, m.v.pitch)
		}
		if h%3 != 0 && len(m.f.extras) > 0 {
			desc = append(desc, m.f.extras[(m.li+m.vi)%len(m.f.extras)])
		}
		specs := m.specs()
		if m.f.book {
			specs = append(specs, s("isbn-13", isbn13(978_1_0000_0000+int64(m.li+1)*10+int64(m.vi)), ""))
		}
		ps = append(ps, Product{
			SKU: sku, Name: name, Slug: slug, Brand: m.l.brand,
			Description: strings.Join(desc, " "),
			Category:    m.f.category,
			PriceMinor:  price(m.l.price, m.v),
			Specs:       specs,
			Images:      images(slug, name, h%2 == 0),
			Stock:       stock(h),
		})
	}
	return ps
}

// model is one line of a family in one variant: a product of the demo catalog, and a
// template of generated ones.
type model struct {
	f      *family
	l      line
	v      variant
	li, vi int
}

func (m model) specs() []Spec { return append(append([]Spec(nil), m.l.specs...), m.v.specs...) }

// models lists every line of every family in each of its variants.
func models() []model {
	var ms []model
	fs := families()
	for fi := range fs {
		f := &fs[fi]
		for li, l := range f.lines {
			for vi, v := range f.variantsOf(l) {
				ms = append(ms, model{f: f, l: l, v: v, li: li, vi: vi})
			}
		}
	}
	return ms
}

// stock is a product's units in stock, varied by h: about one product in ten is sold out,
// a few are plentiful.
func stock(h uint64) int32 {
	switch r := h % 100; {
	case r < 10:
		return 0
	case r < 15:
		return 1 + int32((h>>8)%4) // the last few
	case r > 94:
		return 200 + int32((h>>8)%800)
	default:
		return 5 + int32((h>>8)%120)
	}
}

// price is a variant's price in cents, rounded as shops do: whole amounts over 20 end in .99.
func price(base int64, v variant) int64 {
	times := v.times
	if times == 0 {
		times = 100
	}
	p := base*times/100 + v.add
	if p >= 2000 && times != 100 {
		p = (p+50)/100*100 - 1
	}
	return p
}

// family is one kind of product of a category: its lines (a brand's model), each made in
// every variant (a switch type, a capacity, a format ...).
type family struct {
	category string
	sku      string // SKU prefix
	noun     string // the kind of product, in names after the model; may be empty
	book     bool   // the model is a title, the brand a publisher left out of the name
	lines    []line
	variants []variant // of every line without its own
	extras   []string  // sentences about the family, added to some descriptions
}

// line is a brand's model. Its pitch never names the brand: the generator reuses it.
type line struct {
	brand, model string
	price        int64 // cents, of the base variant
	pitch        string
	specs        []Spec
	variants     []variant
}

// variant is one version of a line.
type variant struct {
	label string // appended to the name; "" for the base version
	times int64  // percent of the line's price; 0 is 100
	add   int64  // cents added after times
	pitch string
	specs []Spec
}

func (f family) variantsOf(l line) []variant {
	switch {
	case len(l.variants) > 0:
		return l.variants
	case len(f.variants) > 0:
		return f.variants
	}
	return []variant{{}}
}

func (f family) name(brand, model string, v variant) string {
	if f.book {
		return model + " (" + v.label + ")"
	}
	n := brand + " " + model
	if f.noun != "" {
		n += " " + f.noun
	}
	if v.label != "" {
		n += ", " + v.label
	}
	return n
}

// colours are the variants of a product that is the same for both hands.
func colours() []variant {
	return []variant{
		{label: "Graphite", specs: []Spec{s("colour", "graphite", "")}},
		{label: "Pale Grey", specs: []Spec{s("colour", "pale grey", "")}},
		{label: "Sage Green", specs: []Spec{s("colour", "sage green", "")}},
	}
}

// s builds a spec.
func s(key, value, unit string) Spec { return Spec{Key: key, Value: value, Unit: unit} }

// families are the curated tables of the demo catalog.
func families() []family {
	return []family{
		{
			category: "mechanical-keyboards", sku: "KB", noun: "Mechanical Keyboard",
			variants: []variant{
				{label: "Tactile Brown Switches", pitch: "Tactile brown switches give a soft bump at actuation without the click, a good fit for open offices.",
					specs: []Spec{s("switch", "tactile brown", ""), s("actuation force", "55", "gf")}},
				{label: "Linear Red Switches", pitch: "Linear red switches travel smoothly to the bottom, pre-lubed at the factory.",
					specs: []Spec{s("switch", "linear red", ""), s("actuation force", "45", "gf")}},
				{label: "Magnetic Hall-Effect Switches", times: 100, add: 4500, pitch: "Hall-effect magnetic switches let you set the actuation point per key, from 0.1 to 4.0 mm.",
					specs: []Spec{s("switch", "hall-effect magnetic", ""), s("actuation point", "0.1-4.0", "mm")}},
			},
			lines: []line{
				{brand: "Keyvane", model: "Q75", price: 16900, pitch: "A 75% gasket-mounted board in a CNC-milled aluminium case, with a rotary knob and hot-swappable sockets.",
					specs: []Spec{s("layout", "75%", ""), s("connectivity", "USB-C, Bluetooth 5.1", ""), s("weight", "1.6", "kg")}},
				{brand: "Keyvane", model: "K65 Lite", price: 8900, pitch: "A compact 65% board with arrow keys kept, in a light ABS case that fits next to a laptop.",
					specs: []Spec{s("layout", "65%", ""), s("connectivity", "USB-C", ""), s("weight", "0.68", "kg")}},
				{brand: "Tactile Labs", model: "TL87", price: 18900, pitch: "A tenkeyless board with a brass plate and a dampened case, tuned for a deep, quiet sound.",
					specs: []Spec{s("layout", "TKL (87 keys)", ""), s("plate", "brass", ""), s("weight", "2.1", "kg")}},
				{brand: "Tactile Labs", model: "TL100 Pro", price: 22900, pitch: "A full-size board with a numpad and four macro keys, programmable in VIA without drivers.",
					specs: []Spec{s("layout", "full size (104 keys)", ""), s("firmware", "QMK/VIA", ""), s("weight", "1.9", "kg")}},
				{brand: "Clackworks", model: "Mono60", price: 11900, pitch: "A minimalist 60% board running open-source QMK firmware, with layers for everything the missing keys did.",
					specs: []Spec{s("layout", "60%", ""), s("firmware", "QMK", ""), s("weight", "0.9", "kg")}},
				{brand: "Clackworks", model: "Atlas 96", price: 14900, pitch: "A 96% layout that keeps the numpad in the footprint of a tenkeyless board.",
					specs: []Spec{s("layout", "96%", ""), s("connectivity", "USB-C, 2.4 GHz", ""), s("battery", "4000", "mAh")}},
				{brand: "Nordkey", model: "Fjord TKL", price: 13900, pitch: "A tenkeyless board with PBT double-shot keycaps and a detachable braided cable.",
					specs: []Spec{s("layout", "TKL (87 keys)", ""), s("keycaps", "PBT double-shot", ""), s("weight", "1.1", "kg")}},
				{brand: "Nordkey", model: "Fjord 65 Wireless", price: 15900, pitch: "A 65% board that pairs with three devices over Bluetooth and switches between them with one key.",
					specs: []Spec{s("layout", "65%", ""), s("connectivity", "USB-C, Bluetooth 5.3, 2.4 GHz", ""), s("battery life", "200", "h")}},
				{brand: "Lumen Keys", model: "Aurora 75", price: 12900, pitch: "A 75% board with per-key RGB lighting shining through translucent legends.",
					specs: []Spec{s("layout", "75%", ""), s("lighting", "per-key RGB", ""), s("polling rate", "1000", "Hz")}},
				{brand: "Ferrite", model: "Forge 80", price: 24900, pitch: "An 80% board machined from a single aluminium block, with a leaf-spring mount and a stainless weight.",
					specs: []Spec{s("layout", "80% (F-row, TKL)", ""), s("mount", "leaf spring", ""), s("weight", "2.4", "kg")}},
			},
			extras: []string{
				"Ships with a keycap puller, a switch puller and a USB-C to USB-A adapter.",
				"Works on Linux, macOS and Windows with no driver to install.",
				"Every key is remappable, and the layout is stored on the board itself.",
				"South-facing sockets keep Cherry-profile keycaps clear of the switch housing.",
			},
		},
		{
			category: "split-keyboards", sku: "SPL", noun: "Split Keyboard",
			variants: []variant{
				{label: "Wired", pitch: "The halves connect with a TRRS cable and the board with USB-C.",
					specs: []Spec{s("connection", "USB-C, TRRS between halves", "")}},
				{label: "Wireless", add: 4000, pitch: "Both halves run ZMK over Bluetooth, for weeks on a charge.",
					specs: []Spec{s("connection", "Bluetooth 5.0 (ZMK)", ""), s("battery life", "3", "weeks")}},
				{label: "Low-Profile Choc Switches", add: 2000, pitch: "Low-profile Choc switches keep the board thin enough to type on without a wrist rest.",
					specs: []Spec{s("switch", "Kailh Choc v2 low-profile", "")}},
			},
			lines: []line{
				{brand: "Clackworks", model: "Halves 42", price: 15900, pitch: "A 42-key columnar-staggered split board with thumb clusters, built for layers and home-row mods.",
					specs: []Spec{s("keys", "42", ""), s("stagger", "columnar", ""), s("firmware", "QMK/ZMK", "")}},
				{brand: "Nordkey", model: "Vika", price: 21900, pitch: "A split board with a sculpted key well and magnetic tenting legs from 0 to 30 degrees.",
					specs: []Spec{s("keys", "58", ""), s("tenting", "0-30", "deg"), s("weight", "1.2", "kg")}},
				{brand: "Ergoform", model: "Arc", price: 27900, pitch: "Each half rests on an adjustable ball joint, so you can tent, tilt and rotate it to your shoulders.",
					specs: []Spec{s("keys", "64", ""), s("tenting", "adjustable ball joint", ""), s("palm rests", "cork, detachable", "")}},
				{brand: "Ergoform", model: "Ridge 58", price: 18900, pitch: "A 58-key split board with an OLED on each half showing the active layer and caps state.",
					specs: []Spec{s("keys", "58", ""), s("displays", "2 x 128x32 OLED", ""), s("encoders", "2", "")}},
			},
			extras: []string{
				"Splitting the halves to shoulder width keeps the wrists straight.",
				"The keymap is yours to edit: flash a new one from the browser in a minute.",
			},
		},
		{
			category: "keycaps-and-switches", sku: "KC", noun: "Keycap Set",
			variants: []variant{
				{label: "Nord Grey", pitch: "The Nord Grey colourway pairs cool grey alphas with blue modifiers."},
				{label: "Retro Beige", pitch: "The Retro Beige colourway recalls the terminals of the 1980s, with red Escape and Enter keys."},
			},
			lines: []line{
				{brand: "Keyvane", model: "Cherry-Profile PBT", price: 5900, pitch: "A 143-key set of thick PBT keycaps with dye-sublimated legends that never wear off.",
					specs: []Spec{s("profile", "Cherry", ""), s("material", "PBT, 1.5 mm", ""), s("keys", "143", "")}},
				{brand: "Lumen Keys", model: "Shine-Through ABS", price: 3900, pitch: "Double-shot ABS keycaps with translucent legends that let backlighting through.",
					specs: []Spec{s("profile", "OEM", ""), s("material", "ABS double-shot", ""), s("keys", "128", "")}},
				{brand: "Ferrite", model: "MT3-Style Sculpted", price: 8900, pitch: "Tall, deeply dished keycaps in the sculpted style of vintage terminals.",
					specs: []Spec{s("profile", "MT3-style", ""), s("material", "PBT double-shot", ""), s("keys", "170", "")}},
				{brand: "Clackworks", model: "Ortho & Split", price: 4900, pitch: "A keycap set with 1u modifiers and extra thumb keys for ortholinear and split boards.",
					specs: []Spec{s("profile", "DSA", ""), s("material", "PBT", ""), s("keys", "112", "")}},
			},
		},
		{
			category: "keycaps-and-switches", sku: "SW", noun: "Switches",
			variants: []variant{
				{label: "35-Pack", specs: []Spec{s("quantity", "35", "pcs")}},
				{label: "90-Pack", times: 230, pitch: "Enough for a full-size board plus spares.", specs: []Spec{s("quantity", "90", "pcs")}},
			},
			lines: []line{
				{brand: "Tactile Labs", model: "Cream Linear", price: 2100, pitch: "Self-lubricating POM housings that get smoother with every keystroke.",
					specs: []Spec{s("type", "linear", ""), s("actuation force", "55", "gf"), s("travel", "4.0", "mm")}},
				{brand: "Tactile Labs", model: "Holy Panda-Style Tactile", price: 2900, pitch: "A pronounced, rounded tactile bump right at the top of the keystroke.",
					specs: []Spec{s("type", "tactile", ""), s("actuation force", "67", "gf"), s("travel", "4.0", "mm")}},
				{brand: "Keyvane", model: "Box Jade Clicky", price: 1900, pitch: "A crisp click bar in a dust-resistant box stem, for those who like to be heard.",
					specs: []Spec{s("type", "clicky", ""), s("actuation force", "50", "gf"), s("travel", "3.6", "mm")}},
				{brand: "Ferrite", model: "Silent Ink Linear", price: 3300, pitch: "Dampened stems silence both the bottom-out and the return, for shared rooms and calls.",
					specs: []Spec{s("type", "silent linear", ""), s("actuation force", "62", "gf"), s("travel", "3.7", "mm")}},
			},
		},
		{
			category: "mice", sku: "MS",
			variants: []variant{
				{label: "Graphite", specs: []Spec{s("colour", "graphite", "")}},
				{label: "Pale Grey", specs: []Spec{s("colour", "pale grey", "")}},
				{label: "Left-Handed", add: 1000, pitch: "This edition is mirrored for the left hand.", specs: []Spec{s("colour", "graphite", ""), s("hand", "left", "")}},
			},
			lines: []line{
				{brand: "Glide", model: "Pro Wireless Mouse", price: 9900, pitch: "A sculpted productivity mouse with a free-spinning metal scroll wheel and a thumb wheel for horizontal scrolling.",
					specs: []Spec{s("sensor", "8000", "DPI"), s("buttons", "7", ""), s("battery life", "70", "days")}},
				{brand: "Glide", model: "Vertical Ergonomic Mouse", price: 7900, pitch: "A 57-degree vertical grip that keeps the forearm in a natural handshake position.",
					specs: []Spec{s("sensor", "4000", "DPI"), s("grip angle", "57", "deg"), s("weight", "135", "g")}},
				{brand: "Orbit", model: "Thumb Trackball", price: 5900, pitch: "A thumb-operated trackball that never needs desk space to move.",
					specs: []Spec{s("ball", "34", "mm"), s("buttons", "5", ""), s("connectivity", "Bluetooth, 2.4 GHz", "")}},
				{brand: "Orbit", model: "Finger Trackball 40", price: 8900, pitch: "A large 40 mm ball under the fingers and a scroll ring around it for precise pixel work.",
					specs: []Spec{s("ball", "40", "mm"), s("buttons", "4 + scroll ring", ""), s("connectivity", "USB-C", "")}, variants: colours()},
				{brand: "Pointwise", model: "Travel Mouse", price: 3900, pitch: "A flat, quiet mouse that slips into a laptop sleeve and pairs with three devices.",
					specs: []Spec{s("sensor", "4000", "DPI"), s("weight", "66", "g"), s("battery", "AAA x 1", "")}, variants: colours()},
				{brand: "Pointwise", model: "Ultralight 59 Mouse", price: 6900, pitch: "A 59-gram honeycomb-free shell with PTFE feet and a 4 kHz polling rate.",
					specs: []Spec{s("sensor", "26000", "DPI"), s("weight", "59", "g"), s("polling rate", "4000", "Hz")}},
			},
			extras: []string{
				"Silent switches on the main buttons keep clicks out of meetings.",
				"Buttons can be remapped per application with the open configuration tool.",
			},
		},
		{
			category: "microcontrollers", sku: "MCU", noun: "Board",
			variants: []variant{
				{label: "Bare", pitch: "Comes without headers, ready to solder on what your project needs."},
				{label: "Pre-Soldered Headers", add: 150, pitch: "Male headers come soldered, so it drops straight into a breadboard.",
					specs: []Spec{s("headers", "pre-soldered", "")}},
				{label: "3-Pack", times: 270, pitch: "Three boards for the price of two and a half: one to prototype, one to deploy, one to break.",
					specs: []Spec{s("quantity", "3", "pcs")}},
			},
			lines: []line{
				{brand: "Voltlab", model: "RP2040 Mini", price: 450, pitch: "A thumb-sized board with a dual-core Cortex-M0+ at 133 MHz, 264 KB of SRAM and programmable I/O state machines.",
					specs: []Spec{s("mcu", "RP2040", ""), s("flash", "2", "MB"), s("clock", "133", "MHz")}},
				{brand: "Voltlab", model: "RP2350 Plus", price: 700, pitch: "Dual Cortex-M33 or RISC-V Hazard3 cores, selectable at boot, with 520 KB of SRAM and secure boot.",
					specs: []Spec{s("mcu", "RP2350", ""), s("flash", "16", "MB"), s("clock", "150", "MHz")}},
				{brand: "Voltlab", model: "ESP32-S3 DevKit", price: 1500, pitch: "Wi-Fi and Bluetooth LE on a dual-core Xtensa LX7 with vector instructions for on-device ML.",
					specs: []Spec{s("mcu", "ESP32-S3", ""), s("psram", "8", "MB"), s("wireless", "Wi-Fi 4, BLE 5", "")}},
				{brand: "Sparkbench", model: "ESP32-C6 Thread", price: 1200, pitch: "A RISC-V board speaking Wi-Fi 6, Bluetooth LE, Thread and Zigbee, made for Matter devices.",
					specs: []Spec{s("mcu", "ESP32-C6", ""), s("wireless", "Wi-Fi 6, BLE 5.3, 802.15.4", ""), s("clock", "160", "MHz")}},
				{brand: "Sparkbench", model: "nRF52840 BLE", price: 2200, pitch: "A low-power Bluetooth LE board with native USB and a LiPo charger, at home in wearables and split keyboards.",
					specs: []Spec{s("mcu", "nRF52840", ""), s("wireless", "BLE 5.3", ""), s("sleep current", "3", "uA")}},
				{brand: "Sparkbench", model: "STM32G474 Motor Control", price: 2900, pitch: "A Cortex-M4F at 170 MHz with high-resolution timers and op-amps for motor and power control.",
					specs: []Spec{s("mcu", "STM32G474", ""), s("clock", "170", "MHz"), s("adc", "5 x 12-bit", "")}},
				{brand: "Circuitry", model: "CH32V RISC-V Tiny", price: 300, pitch: "A RISC-V microcontroller board that costs less than a coffee, for learning bare-metal C.",
					specs: []Spec{s("mcu", "CH32V003", ""), s("flash", "16", "KB"), s("clock", "48", "MHz")}},
				{brand: "Circuitry", model: "SAMD21 Nano", price: 1100, pitch: "A Cortex-M0+ board that runs CircuitPython out of the box and shows up as a USB drive.",
					specs: []Spec{s("mcu", "ATSAMD21G18", ""), s("flash", "256", "KB"), s("clock", "48", "MHz")}},
			},
			extras: []string{
				"Programmable in C, Rust, MicroPython or TinyGo.",
				"Pinout card included; schematics and KiCad files are published.",
				"USB-C for power, flashing and the serial console.",
			},
		},
		{
			category: "single-board-computers", sku: "SBC", noun: "Single-Board Computer",
			variants: []variant{
				{label: "4 GB RAM", specs: []Spec{s("ram", "4", "GB")}},
				{label: "8 GB RAM", add: 3000, pitch: "The 8 GB version has room for containers and a desktop at once.", specs: []Spec{s("ram", "8", "GB")}},
			},
			lines: []line{
				{brand: "Orchard", model: "Board 5", price: 6000, pitch: "A quad-core Cortex-A76 at 2.4 GHz with PCIe 2.0, dual 4K HDMI and a real-time clock.",
					specs: []Spec{s("cpu", "4 x Cortex-A76", ""), s("clock", "2.4", "GHz"), s("video", "2 x micro-HDMI, 4Kp60", "")}},
				{brand: "Orchard", model: "Zero 2", price: 1800, pitch: "A quad-core board the size of a stick of gum, for headless projects and tiny servers.",
					specs: []Spec{s("cpu", "4 x Cortex-A53", ""), s("clock", "1", "GHz"), s("size", "65 x 30", "mm")}},
				{brand: "Orchard", model: "Compute Module 4S", price: 4500, pitch: "A compute module on a SODIMM edge for carrier boards and embedded products.",
					specs: []Spec{s("cpu", "4 x Cortex-A72", ""), s("storage", "8 GB eMMC", ""), s("form factor", "SODIMM", "")}},
				{brand: "Rockstone", model: "RK3588 Pro", price: 11900, pitch: "Eight cores and a 6 TOPS NPU, with an M.2 slot for NVMe and 2.5 GbE.",
					specs: []Spec{s("cpu", "4 x A76 + 4 x A55", ""), s("npu", "6", "TOPS"), s("ethernet", "2.5", "Gbps")}},
				{brand: "Rockstone", model: "RK3566 Compact", price: 4900, pitch: "A low-power quad-core board with eMMC socket and PoE support for always-on home services.",
					specs: []Spec{s("cpu", "4 x Cortex-A55", ""), s("ethernet", "1 Gbps, PoE", ""), s("power", "5", "W")}},
				{brand: "Lattice Lab", model: "RISC-V Quad", price: 7900, pitch: "A quad-core 64-bit RISC-V board running mainline Linux, for porting and compiler work.",
					specs: []Spec{s("cpu", "4 x RISC-V U74 (JH7110)", ""), s("clock", "1.5", "GHz"), s("isa", "RV64GC", "")}},
				{brand: "Tinkerbox", model: "N100", price: 14900, pitch: "An x86 board with an Intel N100, three NVMe slots and four 2.5 GbE ports: a router or NAS in your palm.",
					specs: []Spec{s("cpu", "Intel N100, 4 cores", ""), s("ethernet", "4 x 2.5", "Gbps"), s("tdp", "6", "W")}},
				{brand: "Tinkerbox", model: "Edge AI", price: 19900, pitch: "An ARM board with a 20 TOPS accelerator for running vision models next to the camera.",
					specs: []Spec{s("cpu", "6 x Cortex-A78AE", ""), s("npu", "20", "TOPS"), s("camera", "2 x MIPI CSI-2", "")}},
			},
			extras: []string{
				"Boots Debian and Ubuntu images; a 27 W USB-C supply is recommended.",
				"A 40-pin header exposes GPIO, I2C, SPI and UART.",
			},
		},
		{
			category: "dev-boards", sku: "TLS",
			lines: []line{
				{brand: "Sparkbench", model: "USB Logic Analyzer 8CH", price: 1900, pitch: "An 8-channel, 24 MHz logic analyzer that decodes I2C, SPI and UART in open-source software.",
					specs: []Spec{s("channels", "8", ""), s("sample rate", "24", "MHz")}},
				{brand: "Sparkbench", model: "USB-C Power Meter", price: 2400, pitch: "Shows voltage, current and the negotiated PD profile of anything you plug through it.",
					specs: []Spec{s("range", "4-48", "V"), s("max current", "5", "A"), s("display", "1.14-inch IPS", "")}},
				{brand: "Voltlab", model: "Breadboard Starter Kit", price: 3400, pitch: "Two full-size breadboards, 140 jumper wires, resistors, LEDs, buttons and a bench supply module.",
					specs: []Spec{s("breadboards", "2 x 830 points", ""), s("parts", "420", "pcs")}},
				{brand: "Voltlab", model: "SWD Debug Probe", price: 1200, pitch: "A CMSIS-DAP probe for flashing and stepping through Arm microcontrollers with OpenOCD or probe-rs.",
					specs: []Spec{s("protocol", "SWD, CMSIS-DAP v2", ""), s("uart", "USB serial bridge", "")}},
				{brand: "Circuitry", model: "Sensor Kit 37", price: 3900, pitch: "Thirty-seven sensor modules, from temperature to ultrasonic distance, with example code for each.",
					specs: []Spec{s("modules", "37", ""), s("voltage", "3.3-5", "V")}},
				{brand: "Circuitry", model: "Pocket Oscilloscope 2CH", price: 8900, pitch: "A two-channel, 50 MHz pocket oscilloscope with a signal generator and USB export.",
					specs: []Spec{s("bandwidth", "50", "MHz"), s("channels", "2", ""), s("sample rate", "250", "MSa/s")}},
			},
		},
		{
			category: "monitors", sku: "MON", noun: "Monitor",
			variants: []variant{
				{label: "", specs: []Spec{s("stand", "tilt", "")}},
				{label: "USB-C Edition", add: 6000, pitch: "One USB-C cable carries video, data and 90 W of charging to a laptop.",
					specs: []Spec{s("usb-c", "DP Alt Mode, 90 W PD", "")}},
				{label: "Ergo Stand", add: 4500, pitch: "The ergonomic stand adds height, swivel and pivot to portrait for long log files.",
					specs: []Spec{s("stand", "height, tilt, swivel, pivot", "")}},
			},
			lines: []line{
				{brand: "Vantage", model: "V27U 27-inch 4K IPS", price: 32900, pitch: "A 27-inch 3840x2160 IPS panel at 163 PPI: text as sharp as print.",
					specs: []Spec{s("size", "27", "in"), s("resolution", "3840x2160", ""), s("refresh rate", "60", "Hz")}},
				{brand: "Vantage", model: "V32U 32-inch 4K", price: 44900, pitch: "A 32-inch 4K panel with 98% DCI-P3 coverage and a matte coating that tames office lights.",
					specs: []Spec{s("size", "31.5", "in"), s("resolution", "3840x2160", ""), s("colour gamut", "98% DCI-P3", "")}},
				{brand: "Vantage", model: "V34W 34-inch Ultrawide", price: 49900, pitch: "A curved 3440x1440 ultrawide that fits an editor, a terminal and a browser side by side.",
					specs: []Spec{s("size", "34", "in"), s("resolution", "3440x1440", ""), s("curvature", "1900R", "")}},
				{brand: "Pixelcraft", model: "P27Q 27-inch QHD 165 Hz", price: 27900, pitch: "A 1440p panel at 165 Hz: smooth scrolling by day, games by night.",
					specs: []Spec{s("size", "27", "in"), s("resolution", "2560x1440", ""), s("refresh rate", "165", "Hz")}},
				{brand: "Pixelcraft", model: "P24F 24-inch Full HD", price: 14900, pitch: "An affordable 24-inch IPS screen, thin-bezelled for multi-monitor walls.",
					specs: []Spec{s("size", "23.8", "in"), s("resolution", "1920x1080", ""), s("refresh rate", "100", "Hz")}},
				{brand: "Pixelcraft", model: "P27K 27-inch 5K", price: 119900, pitch: "A 5120x2880 panel at 218 PPI with a Thunderbolt input, for retina-class text.",
					specs: []Spec{s("size", "27", "in"), s("resolution", "5120x2880", ""), s("brightness", "600", "nits")}},
				{brand: "Lumio", model: "L16 Portable 16-inch", price: 19900, pitch: "A 16-inch portable screen that runs from one USB-C cable, with a folding cover stand.",
					specs: []Spec{s("size", "16", "in"), s("resolution", "2560x1600", ""), s("weight", "0.75", "kg")},
					variants: []variant{
						{label: "", specs: []Spec{s("stand", "folding cover", "")}},
						{label: "Touch", add: 5000, pitch: "The touch version takes ten-point touch and pen input.", specs: []Spec{s("touch", "10-point, pen", "")}},
					}},
				{brand: "Lumio", model: "L28 28-inch 3:2 Coding", price: 59900, pitch: "A tall 3:2 panel at 3840x2560 that shows thirty percent more lines of code than 16:9.",
					specs: []Spec{s("size", "28", "in"), s("resolution", "3840x2560", ""), s("aspect ratio", "3:2", "")}},
			},
			extras: []string{
				"Flicker-free backlight and a low blue-light mode for long sessions.",
				"VESA 100 x 100 mount for monitor arms.",
				"Factory-calibrated, with the report in the box.",
			},
		},
		{
			category: "programming-books", sku: "BK", book: true,
			variants: []variant{
				{label: "Paperback", specs: []Spec{s("format", "paperback", "")}},
				{label: "Hardcover", add: 1500, pitch: "The hardcover edition is sewn and lies flat on the desk.", specs: []Spec{s("format", "hardcover", "")}},
			},
			lines: books(),
		},
		{
			category: "headphones", sku: "HP",
			variants: []variant{
				{label: "Black", specs: []Spec{s("colour", "black", "")}},
				{label: "Sand", specs: []Spec{s("colour", "sand", "")}},
				{label: "Midnight Blue", add: 1000, pitch: "Midnight Blue is a limited colourway with anodised metal parts.", specs: []Spec{s("colour", "midnight blue", "")}},
			},
			lines: []line{
				{brand: "Quietwave", model: "QW900 Noise-Cancelling Headphones", price: 34900, pitch: "Adaptive noise cancelling shuts out open-plan chatter, and 30 hours of battery cover a week of commutes.",
					specs: []Spec{s("type", "over-ear, closed", ""), s("battery life", "30", "h"), s("codecs", "AAC, LDAC", "")}},
				{brand: "Quietwave", model: "QW500 On-Ear Wireless Headphones", price: 12900, pitch: "Light on-ear headphones that fold flat, with multipoint pairing for laptop and phone.",
					specs: []Spec{s("type", "on-ear", ""), s("battery life", "50", "h"), s("weight", "190", "g")}},
				{brand: "Arden Audio", model: "Studio 80 Open-Back Headphones", price: 17900, pitch: "Open-back studio headphones with a wide stage, for mixing and for focus music alike.",
					specs: []Spec{s("type", "over-ear, open", ""), s("impedance", "80", "ohm"), s("frequency response", "5-35000", "Hz")}},
				{brand: "Arden Audio", model: "Monitor 250 Closed-Back Headphones", price: 14900, pitch: "Closed-back monitors with a flat response and a coiled cable, the studio standard.",
					specs: []Spec{s("type", "over-ear, closed", ""), s("impedance", "250", "ohm"), s("cable", "3 m coiled", "")}},
				{brand: "Tessell", model: "DevTalk Headset with Boom Mic", price: 9900, pitch: "A headset for pair programming and stand-ups, with a flip-to-mute boom microphone.",
					specs: []Spec{s("type", "over-ear", ""), s("microphone", "cardioid boom, flip-to-mute", ""), s("connectivity", "USB-C, 2.4 GHz", "")}},
				{brand: "Tessell", model: "IE3 In-Ear Monitors", price: 7900, pitch: "Triple-driver in-ear monitors with detachable cables and memory-foam tips.",
					specs: []Spec{s("type", "in-ear", ""), s("drivers", "3 (1 dynamic, 2 BA)", ""), s("connector", "2-pin 0.78 mm", "")}},
			},
			extras: []string{
				"Replaceable ear pads and cable, so they outlive their warranty.",
				"Carry case included.",
			},
		},
		{
			category: "microphones", sku: "MIC", noun: "Microphone",
			variants: []variant{
				{label: "", specs: []Spec{s("mount", "desk stand", "")}},
				{label: "with Boom Arm", add: 3500, pitch: "The boom arm clamps to the desk and keeps the mic off the keyboard's vibrations.",
					specs: []Spec{s("mount", "boom arm with shock mount", "")}},
			},
			lines: []line{
				{brand: "Arden Audio", model: "Podcaster USB", price: 12900, pitch: "A dynamic USB microphone with a headphone jack and zero-latency monitoring.",
					specs: []Spec{s("type", "dynamic, cardioid", ""), s("interface", "USB-C", ""), s("sample rate", "48", "kHz")}},
				{brand: "Arden Audio", model: "Studio XLR Condenser", price: 19900, pitch: "A large-diaphragm condenser for voice-overs and screencasts, via any audio interface.",
					specs: []Spec{s("type", "condenser, cardioid", ""), s("interface", "XLR", ""), s("diaphragm", "34", "mm")}},
				{brand: "Tessell", model: "Desk Stream USB", price: 6900, pitch: "A compact USB condenser with a tap-to-mute top and a gain knob.",
					specs: []Spec{s("type", "condenser, cardioid", ""), s("interface", "USB-C", ""), s("bit depth", "24", "bit")}},
				{brand: "Quietwave", model: "Clip-On Lavalier Wireless", price: 9900, pitch: "Clip-on transmitters and a USB-C receiver for talks, demos and interviews.",
					specs: []Spec{s("type", "omnidirectional lavalier", ""), s("range", "200", "m"), s("battery life", "7", "h")},
					variants: []variant{
						{label: "1 Transmitter", specs: []Spec{s("transmitters", "1", "")}},
						{label: "2 Transmitters", add: 5000, pitch: "Two transmitters record a speaker and a guest on separate channels.", specs: []Spec{s("transmitters", "2", "")}},
					}},
			},
		},
		{
			category: "storage", sku: "STO", noun: "SSD",
			variants: []variant{
				{label: "1 TB", specs: []Spec{s("capacity", "1", "TB")}},
				{label: "2 TB", times: 175, specs: []Spec{s("capacity", "2", "TB")}},
				{label: "4 TB", times: 330, pitch: "The 4 TB model holds a whole monorepo history and every container image you ever pulled.", specs: []Spec{s("capacity", "4", "TB")}},
			},
			lines: []line{
				{brand: "Datavault", model: "DV4 NVMe Gen4", price: 6999, pitch: "A PCIe 4.0 M.2 drive reading at 7000 MB/s, with DRAM cache for steady writes.",
					specs: []Spec{s("interface", "PCIe 4.0 x4 NVMe", ""), s("sequential read", "7000", "MB/s"), s("form factor", "M.2 2280", "")}},
				{brand: "Datavault", model: "DV4H NVMe Gen4 with Heatsink", price: 8499, pitch: "The same fast Gen4 drive with a low-profile heatsink for desktops and consoles.",
					specs: []Spec{s("interface", "PCIe 4.0 x4 NVMe", ""), s("sequential read", "7300", "MB/s"), s("heatsink", "aluminium, 8.6 mm", "")}},
				{brand: "Datavault", model: "DV5 Pro NVMe Gen5", price: 13999, pitch: "A PCIe 5.0 drive at 12400 MB/s: link a kernel before the progress bar appears.",
					specs: []Spec{s("interface", "PCIe 5.0 x4 NVMe", ""), s("sequential read", "12400", "MB/s"), s("form factor", "M.2 2280", "")}},
				{brand: "Corestore", model: "S3 2.5-inch SATA", price: 5999, pitch: "A SATA drive that gives an old laptop or a home server a second life.",
					specs: []Spec{s("interface", "SATA III", ""), s("sequential read", "560", "MB/s"), s("form factor", "2.5-inch, 7 mm", "")}},
				{brand: "Corestore", model: "M.2 2230 NVMe", price: 7999, pitch: "A short 2230 drive for handheld PCs and thin laptops.",
					specs: []Spec{s("interface", "PCIe 4.0 x4 NVMe", ""), s("sequential read", "5000", "MB/s"), s("form factor", "M.2 2230", "")}},
				{brand: "Corestore", model: "Pocket USB-C Portable", price: 8999, pitch: "A portable drive the size of a credit card, at 1050 MB/s over USB 3.2 Gen 2.",
					specs: []Spec{s("interface", "USB 3.2 Gen 2, USB-C", ""), s("sequential read", "1050", "MB/s"), s("weight", "40", "g")}},
				{brand: "Nimbus Drives", model: "Helio Rugged Portable", price: 11999, pitch: "A rubber-armoured portable drive rated IP65 and for drops from three metres.",
					specs: []Spec{s("interface", "USB 3.2 Gen 2x2, USB-C", ""), s("sequential read", "2000", "MB/s"), s("protection", "IP65", "")}},
				{brand: "Nimbus Drives", model: "Endure NAS NVMe", price: 9999, pitch: "An NVMe drive rated for constant writes, for NAS caches and database servers.",
					specs: []Spec{s("interface", "PCIe 3.0 x4 NVMe", ""), s("endurance", "1800", "TBW per TB"), s("mtbf", "1800000", "h")}},
			},
			extras: []string{
				"Five-year limited warranty.",
				"Hardware AES-256 encryption (TCG Opal 2.0).",
				"Firmware updates ship through fwupd on Linux.",
			},
		},
		{
			category: "networking", sku: "NET",
			lines: []line{
				{brand: "Meshline", model: "8-Port 2.5GbE Unmanaged Switch", price: 8900, pitch: "Eight 2.5 GbE ports in a fanless metal case: plug in and every link runs at 2.5 Gbps.",
					specs: []Spec{s("ports", "8 x 2.5GbE", ""), s("switching capacity", "40", "Gbps"), s("cooling", "fanless", "")}},
				{brand: "Meshline", model: "10GbE SFP+ Managed Switch", price: 32900, pitch: "Eight SFP+ cages and two RJ45 ports with VLANs, LACP and a web UI.",
					specs: []Spec{s("ports", "8 x SFP+, 2 x 10GBase-T", ""), s("management", "web, SSH, SNMP", ""), s("switching capacity", "200", "Gbps")}},
				{brand: "Meshline", model: "5-Port PoE+ Switch", price: 6900, pitch: "Powers cameras, access points and single-board computers over their Ethernet cables.",
					specs: []Spec{s("ports", "5 x 1GbE (4 PoE+)", ""), s("poe budget", "65", "W")}},
				{brand: "Meshline", model: "Travel Router", price: 7900, pitch: "A pocket router that puts your devices behind your own WireGuard tunnel on hotel Wi-Fi.",
					specs: []Spec{s("wifi", "Wi-Fi 6, dual band", ""), s("vpn", "WireGuard, OpenVPN", ""), s("firmware", "OpenWrt", "")}},
				{brand: "Relaywave", model: "Wi-Fi 7 Router AX9", price: 39900, pitch: "A tri-band Wi-Fi 7 router with a 10 GbE WAN port and multi-link operation.",
					specs: []Spec{s("wifi", "Wi-Fi 7, tri band", ""), s("wan", "10", "Gbps"), s("lan", "4 x 2.5GbE", "")}},
				{brand: "Relaywave", model: "Wi-Fi 6E Mesh Node", price: 19900, pitch: "A mesh node with a dedicated 6 GHz backhaul, so the far room gets full speed.",
					specs: []Spec{s("wifi", "Wi-Fi 6E, tri band", ""), s("coverage", "200", "m2"), s("ethernet", "2 x 1GbE", "")}},
				{brand: "Relaywave", model: "Ceiling Access Point AP6", price: 12900, pitch: "A PoE-powered ceiling access point with VLAN-tagged SSIDs for a home lab.",
					specs: []Spec{s("wifi", "Wi-Fi 6, dual band", ""), s("power", "PoE (802.3at)", ""), s("clients", "250", "")}},
				{brand: "Portgate", model: "USB-C 2.5GbE Adapter", price: 2900, pitch: "Adds a 2.5 GbE port to any laptop with USB-C, supported by the in-kernel Linux driver.",
					specs: []Spec{s("speed", "2.5", "Gbps"), s("interface", "USB 3.2 Gen 1", "")}},
				{brand: "Portgate", model: "PCIe 10GbE Network Card", price: 8900, pitch: "A dual-port 10GBase-T card for workstations and home servers.",
					specs: []Spec{s("ports", "2 x 10GBase-T", ""), s("interface", "PCIe 3.0 x4", "")}},
				{brand: "Portgate", model: "SFP+ to RJ45 10G Module", price: 4900, pitch: "A copper transceiver for SFP+ cages, up to 30 metres of Cat 6A.",
					specs: []Spec{s("speed", "10", "Gbps"), s("range", "30", "m")}},
				{brand: "Meshline", model: "16-Port Gigabit Rackmount Switch", price: 9900, pitch: "Sixteen gigabit ports in a 1U rackmount case with a silent fan.",
					specs: []Spec{s("ports", "16 x 1GbE", ""), s("form factor", "1U, 19-inch", "")}},
				{brand: "Relaywave", model: "Outdoor Wi-Fi 6 Bridge Kit", price: 15900, pitch: "A pair of weatherproof radios that link two buildings a kilometre apart.",
					specs: []Spec{s("range", "1", "km"), s("throughput", "860", "Mbps"), s("protection", "IP67", "")}},
				{brand: "Meshline", model: "Network Tap 1G", price: 11900, pitch: "A passive tap that copies both directions of a gigabit link to your analyser.",
					specs: []Spec{s("ports", "4 x 1GbE", ""), s("mode", "passive, full duplex", "")}},
				{brand: "Portgate", model: "Thunderbolt 10GbE Adapter", price: 17900, pitch: "10 GbE over Thunderbolt for laptops that edit video from a NAS.",
					specs: []Spec{s("speed", "10", "Gbps"), s("interface", "Thunderbolt 3/4", "")}},
				{brand: "Relaywave", model: "LTE Failover Modem", price: 14900, pitch: "A 4G modem that takes over when the fibre drops, so the pager still reaches you.",
					specs: []Spec{s("network", "LTE Cat 6", ""), s("ethernet", "1 x 1GbE", "")}},
				{brand: "Meshline", model: "Patch Panel 24-Port Cat 6A", price: 5900, pitch: "A shielded 24-port keystone patch panel that tidies a home rack.",
					specs: []Spec{s("ports", "24", ""), s("rating", "Cat 6A, shielded", "")}},
			},
			extras: []string{
				"IPv6-ready, with firmware updates for five years.",
				"Wall-mountable; screws and anchors included.",
			},
		},
		{
			category: "accessories", sku: "ACC",
			variants: []variant{
				{label: "Black", specs: []Spec{s("colour", "black", "")}},
				{label: "Oak", add: 1500, pitch: "The oak edition uses FSC-certified wood.", specs: []Spec{s("colour", "oak", "")}},
			},
			lines: []line{
				{brand: "Deskhaus", model: "Felt Desk Mat 90 x 40", price: 3500, pitch: "A wool felt mat that quiets the keyboard and keeps the mouse gliding.",
					specs: []Spec{s("size", "900 x 400", "mm"), s("thickness", "4", "mm")}},
				{brand: "Deskhaus", model: "Gas-Spring Monitor Arm", price: 12900, pitch: "A gas-spring arm holding a screen up to 32 inches and 9 kg, with cable channels.",
					specs: []Spec{s("max load", "9", "kg"), s("vesa", "75/100", "mm")}},
				{brand: "Deskhaus", model: "Laptop Stand", price: 4900, pitch: "Lifts a laptop screen to eye level and folds flat for the bag.",
					specs: []Spec{s("heights", "6", ""), s("weight", "0.3", "kg")}},
				{brand: "Deskhaus", model: "Wrist Rest", price: 2900, pitch: "A wrist rest sized for tenkeyless and 75% boards.",
					specs: []Spec{s("length", "360", "mm"), s("height", "18", "mm")}},
			},
		},
		{
			category: "cables", sku: "CBL", noun: "Cable",
			variants: []variant{
				{label: "1 m", specs: []Spec{s("length", "1", "m")}},
				{label: "2 m", add: 400, specs: []Spec{s("length", "2", "m")}},
			},
			lines: []line{
				{brand: "Wirewise", model: "USB-C to USB-C 240 W", price: 1900, pitch: "A braided USB-C cable rated for 240 W charging and 480 Mbps data.",
					specs: []Spec{s("power", "240", "W"), s("data", "480", "Mbps")}},
				{brand: "Wirewise", model: "Thunderbolt 4", price: 3900, pitch: "A certified Thunderbolt 4 cable: 40 Gbps, two 4K displays or one 8K, 100 W.",
					specs: []Spec{s("data", "40", "Gbps"), s("power", "100", "W")}},
				{brand: "Braidline", model: "Coiled USB-C Aviator Keyboard", price: 3400, pitch: "A coiled keyboard cable with a detachable aviator connector in the keyboard's colours.",
					specs: []Spec{s("connector", "GX16 aviator", ""), s("coil", "15", "cm")}},
				{brand: "Braidline", model: "HDMI 2.1 Ultra High Speed", price: 1500, pitch: "Certified for 48 Gbps: 4K at 144 Hz or 8K at 60 Hz.",
					specs: []Spec{s("bandwidth", "48", "Gbps"), s("max resolution", "8K@60Hz", "")}},
				{brand: "Braidline", model: "DisplayPort 2.1 DP80", price: 2900, pitch: "A DP80-certified cable for UHBR20 monitors.",
					specs: []Spec{s("bandwidth", "80", "Gbps"), s("max resolution", "4K@240Hz", "")}},
				{brand: "Wirewise", model: "Cat 6A Patch", price: 900, pitch: "A slim shielded patch cable for 10 GbE runs.",
					specs: []Spec{s("rating", "Cat 6A S/FTP", ""), s("speed", "10", "Gbps")}},
				{brand: "Wirewise", model: "USB-A to USB-C 3.2", price: 1100, pitch: "Connects USB-C devices to older ports at 10 Gbps.",
					specs: []Spec{s("data", "10", "Gbps"), s("power", "60", "W")}},
				{brand: "Braidline", model: "SFP+ Direct Attach Copper", price: 2400, pitch: "A passive direct-attach cable between two SFP+ cages, cheaper and cooler than optics.",
					specs: []Spec{s("speed", "10", "Gbps"), s("type", "passive DAC", "")}},
			},
		},
		{
			category: "docks-and-hubs", sku: "DCK",
			variants: []variant{
				{label: "Space Grey", specs: []Spec{s("colour", "space grey", "")}},
				{label: "Silver", specs: []Spec{s("colour", "silver", "")}},
			},
			lines: []line{
				{brand: "Portgate", model: "7-in-1 USB-C Hub", price: 3900, pitch: "HDMI 4K, two USB-A, SD and microSD readers and 100 W pass-through charging.",
					specs: []Spec{s("ports", "7", ""), s("video", "HDMI 4K@60Hz", ""), s("power delivery", "100", "W")}},
				{brand: "Portgate", model: "Thunderbolt 4 Dock", price: 24900, pitch: "One cable to two 4K screens, 2.5 GbE, four USB ports and 96 W to the laptop.",
					specs: []Spec{s("ports", "11", ""), s("video", "2 x 4K@60Hz", ""), s("ethernet", "2.5", "Gbps")}},
				{brand: "Portgate", model: "Dual 4K DisplayLink Dock", price: 17900, pitch: "Drives two external screens even from laptops limited to one.",
					specs: []Spec{s("video", "2 x 4K@60Hz (DisplayLink)", ""), s("power delivery", "100", "W")}},
				{brand: "Deskhaus", model: "USB-C KVM Switch 2x1", price: 12900, pitch: "Shares one screen, keyboard and mouse between a work and a personal laptop at the press of a button.",
					specs: []Spec{s("computers", "2", ""), s("video", "4K@60Hz", "")}},
				{brand: "Deskhaus", model: "Under-Desk USB Hub", price: 2900, pitch: "Four USB 3 ports clamped under the desk edge, within reach and out of sight.",
					specs: []Spec{s("ports", "4 x USB-A 5 Gbps", ""), s("mount", "clamp", "")}},
				{brand: "Portgate", model: "Travel USB-C Mini Dock", price: 4900, pitch: "A pocket dock with a built-in cable for HDMI, Ethernet and USB on the road.",
					specs: []Spec{s("ports", "5", ""), s("ethernet", "1", "Gbps")}},
			},
		},
	}
}
