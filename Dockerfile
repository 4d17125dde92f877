# The hub, one static binary (the browser pages are embedded). Used by docker-compose.yml.
#   docker build -t tourhub .
#   docker run -p 8080:8080 -e HUB_SECRET=$(openssl rand -hex 32) tourhub         # one node, memory store
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hub ./cmd/hub

FROM alpine:3.22
# wget (busybox) is what the compose health check runs against /readyz.
RUN adduser -D -H -u 10001 hub
COPY --from=build /out/hub /usr/local/bin/hub
USER hub
ENV HUB_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/hub"]
