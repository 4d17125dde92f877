package api

import "github.com/labstack/echo/v4"

// RouteQuery lets the external tests check routeQuery against the registered routes.
var RouteQuery = routeQuery

// Routes returns the server's registered routes.
func Routes(s *Server) []*echo.Route { return s.echo.Routes() }
