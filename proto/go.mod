module github.com/storefront/storefront/proto

go 1.26.0

require (
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0
	google.golang.org/protobuf v1.36.13-0.20261016172727-e9ee2a76ab8e
)
