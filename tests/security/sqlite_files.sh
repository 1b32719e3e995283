# tests/security/sqlite_files.sh -- finding 12, sourced by tests/suites/60_security.sh:
# a SQLite registry never adopts or deletes a file that is not its tenant.
# Uses ok/bad/check/absent of the suite; EXT is the extension to load.
#
# Must not: touch anything outside its own temp folder.
sq_dir=$(mktemp -d /tmp/tenancy_sec_sq.XXXXXX)
sq() { ( cd "$sq_dir" && sqlite3 -batch registry.db ".load $EXT" "$@" 2>&1 ); }
sq "SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', NULL, 'tenants');" >/dev/null
sq "SELECT tenant_create('alpha');" "SELECT tenant_create('beta');" >/dev/null
check "12: the registry itself cannot be registered as a tenant" \
	"$(sq "SELECT tenant_register('x', 'registry.db');" | grep -c "registry's own files")" "1"
check "12: nor its template" \
	"$(sq "SELECT tenant_register('y', 'registry.db.template');" | grep -c "registry's own files")" "1"
check "12: nor a journal of it (tenant_create would make a hot journal)" \
	"$(sq "SELECT tenant_create('z', 'registry.db-journal');" | grep -c "registry's own files")" "1"
ln -s alpha.db "$sq_dir/link.db"
check "12: a symbolic link to another tenant's file is refused" \
	"$(sq "SELECT tenant_register('linked', 'link.db');" | grep -c "symbolic link")" "1"
ln "$sq_dir/alpha.db" "$sq_dir/hard.db"
check "12: a hard link to another tenant's file is refused" \
	"$(sq "SELECT tenant_register('hard', 'hard.db');" | grep -c "already belongs to tenant \"alpha\"")" "1"
rm -f "$sq_dir/hard.db"
# a link that appeared after registering (the file was replaced by one): drop 'delete' refuses
sq "SELECT tenant_create('gamma');" >/dev/null
rm -f "$sq_dir/gamma.db"; ln -s beta.db "$sq_dir/gamma.db"
out=$(sq "SELECT tenant_drop('gamma', 'delete');")
check "12: drop 'delete' of a tenant whose file became a link to another tenant: beta's file survives" \
	"$([ -f "$sq_dir/beta.db" ] && echo kept)" "kept"
check "12: ... and the drop reports an error, not success" "$(grep -c "symbolic link" <<<"$out")" "1"
check "12: ... and the tenant stays registered" "$(sq "SELECT count(*) FROM tenancy_tenants WHERE name = 'gamma';")" "1"
# a location refused at drop time (a registry file put there by hand): no success, no deletion
sq "INSERT INTO tenancy_tenants (name, location) VALUES ('sneak', 'registry.db.template');" >/dev/null
out=$(sq "SELECT tenant_drop('sneak', 'delete');")
check "12: drop 'delete' of a row naming the template: the template survives" \
	"$([ -f "$sq_dir/registry.db.template" ] && echo kept)" "kept"
check "12: ... and the drop reports an error" "$(grep -c "registry's own files" <<<"$out")" "1"
check "12: while gamma's link leads to beta's file, beta's file is not deleted either" \
	"$(sq "SELECT tenant_drop('beta', 'delete');" | grep -c "already belongs to tenant \"gamma\"")" "1"
sq "SELECT tenant_drop('gamma', 'keep');" >/dev/null; rm -f "$sq_dir/gamma.db"
check "12: drop 'delete' of an ordinary tenant still deletes its file" \
	"$(sq "SELECT tenant_drop('beta', 'delete');" >/dev/null; [ -e "$sq_dir/beta.db" ] && echo there || echo gone)" "gone"
rm -rf "$sq_dir"
