package hub

// Role is what a token lets its holder do.
type Role string

// Roles.
const (
	RoleOrganiser Role = "organiser"
	RolePlayer    Role = "player"
	RoleSpectator Role = "spectator"
)

// Claims is what a verified token says: one tournament, one role, and for players their id.
type Claims struct {
	Tournament string
	Role       Role
	Player     int // match.PlayerID for RolePlayer; 0 otherwise
}
