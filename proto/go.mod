module github.com/storefront/storefront/proto

go 1.26.0
