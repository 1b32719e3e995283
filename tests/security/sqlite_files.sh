# tests/security/sqlite_files.sh -- finding 12, sourced by tests/suites/60_security.sh:
# a SQLite registry never adopts or deletes a file that is not its tenant.
# Uses ok/bad/check_eq/absent of the suite (tests/lib/suite_count.sh); EXT is the extension to load.
#
# Must not: touch anything outside its own temp folder.
sq_dir=$(mktemp -d /tmp/tenancy_sec_sq.XXXXXX)
sq() { ( cd "$sq_dir" && sqlite3 -batch registry.db ".load $EXT" "$@" 2>&1 ); }
sq "SELECT tenant_migration_add('1', 'one', 'CREATE TABLE one (id int);', NULL, 'tenants');" >/dev/null
sq "SELECT tenant_create('alpha');" "SELECT tenant_create('beta');" >/dev/null
check_eq "12: the registry itself cannot be registered as a tenant" \
	"$(sq "SELECT tenant_register('x', 'registry.db');" | grep -c "registry's own files")" "1"
check_eq "12: nor its template" \
	"$(sq "SELECT tenant_register('y', 'registry.db.template');" | grep -c "registry's own files")" "1"
check_eq "12: nor a journal of it (tenant_create would make a hot journal)" \
	"$(sq "SELECT tenant_create('z', 'registry.db-journal');" | grep -c "registry's own files")" "1"
ln -s alpha.db "$sq_dir/link.db"
check_eq "12: a symbolic link to another tenant's file is refused" \
	"$(sq "SELECT tenant_register('linked', 'link.db');" | grep -c "symbolic link")" "1"
ln "$sq_dir/alpha.db" "$sq_dir/hard.db"
check_eq "12: a hard link to another tenant's file is refused" \
	"$(sq "SELECT tenant_register('hard', 'hard.db');" | grep -c "already belongs to tenant \"alpha\"")" "1"
rm -f "$sq_dir/hard.db"
# a link that appeared after registering (the file was replaced by one): drop 'delete' refuses
sq "SELECT tenant_create('gamma');" >/dev/null
rm -f "$sq_dir/gamma.db"; ln -s beta.db "$sq_dir/gamma.db"
out=$(sq "SELECT tenant_drop('gamma', 'delete');")
check_eq "12: drop 'delete' of a tenant whose file became a link to another tenant: beta's file survives" \
	"$([ -f "$sq_dir/beta.db" ] && echo kept)" "kept"
check_eq "12: ... and the drop reports an error, not success" "$(grep -c "symbolic link" <<<"$out")" "1"
check_eq "12: ... and the tenant stays registered" "$(sq "SELECT count(*) FROM tenancy_tenants WHERE name = 'gamma';")" "1"
# a location refused at drop time (a registry file put there by hand): no success, no deletion
sq "INSERT INTO tenancy_tenants (name, location) VALUES ('sneak', 'registry.db.template');" >/dev/null
out=$(sq "SELECT tenant_drop('sneak', 'delete');")
check_eq "12: drop 'delete' of a row naming the template: the template survives" \
	"$([ -f "$sq_dir/registry.db.template" ] && echo kept)" "kept"
check_eq "12: ... and the drop reports an error" "$(grep -c "registry's own files" <<<"$out")" "1"
check_eq "12: while gamma's link leads to beta's file, beta's file is not deleted either" \
	"$(sq "SELECT tenant_drop('beta', 'delete');" | grep -c "already belongs to tenant \"gamma\"")" "1"
sq "SELECT tenant_drop('gamma', 'keep');" >/dev/null; rm -f "$sq_dir/gamma.db"
check_eq "12: drop 'delete' of an ordinary tenant still deletes its file" \
	"$(sq "SELECT tenant_drop('beta', 'delete');" >/dev/null; [ -e "$sq_dir/beta.db" ] && echo there || echo gone)" "gone"

# issue 14: the check is a lookup in the identity each row keeps (file_path, file_dev, file_ino)
sq "SELECT tenant_create('delta');" >/dev/null
check_eq "14: tenant_create stores the file's resolved path (in the registry folder), device and inode" \
	"$(sq "SELECT file_path || ' ' || file_dev || ' ' || file_ino FROM tenancy_tenants WHERE name = 'delta';")" \
	"$(cd "$sq_dir" && echo "delta.db $(stat -c '%d %i' delta.db)")"
check_eq "14: a companion of another tenant's file is refused (delta.db-journal)" \
	"$(sq "SELECT tenant_create('dj', 'delta.db-journal');" | grep -c "already belongs to tenant \"delta\"")" "1"
check_eq "14: ... and so is a folder named after it (delta.db.d/x.db)" \
	"$(mkdir "$sq_dir/delta.db.d"; sq "SELECT tenant_create('dd', 'delta.db.d/x.db');" | grep -c "already belongs to tenant \"delta\"")" "1"
rm -rf "$sq_dir/delta.db.d"
ln "$sq_dir/delta.db" "$sq_dir/delta_hard.db"
check_eq "14: a hard link is found by the stored device and inode" \
	"$(sq "SELECT tenant_register('dh', 'delta_hard.db');" | grep -c "already belongs to tenant \"delta\"")" "1"
cp "$sq_dir/delta.db" "$sq_dir/byhand.db"; ln "$sq_dir/byhand.db" "$sq_dir/byhand_hard.db"
sq "INSERT INTO tenancy_tenants (name, location) VALUES ('byhand', 'byhand.db');" >/dev/null
check_eq "14: a row without an identity (written by hand) is compared as its file is now" \
	"$(sq "SELECT tenant_register('bh', 'byhand_hard.db');" | grep -c "already belongs to tenant \"byhand\"")" "1"
sq "DELETE FROM tenancy_tenants WHERE name IN ('byhand', 'sneak');" >/dev/null
# a registry from before the columns: they are added and filled in place by the next call
sq "DROP INDEX tenancy_tenants_file_path; DROP INDEX tenancy_tenants_file_id;" \
	"ALTER TABLE tenancy_tenants DROP COLUMN file_path; ALTER TABLE tenancy_tenants DROP COLUMN file_dev;" \
	"ALTER TABLE tenancy_tenants DROP COLUMN file_ino;" >/dev/null
before=$(sqlite3 "$sq_dir/registry.db" "SELECT count(*) FROM pragma_table_info('tenancy_tenants') WHERE name LIKE 'file_%';")
sq "SELECT count(*) FROM tenants();" >/dev/null
check_eq "14: an old registry (no identity columns) is upgraded in place: every tenant's identity filled, both indexes" \
	"$before: $(sqlite3 "$sq_dir/registry.db" "SELECT (SELECT count(*) FROM tenancy_tenants WHERE file_ino IS NULL) || ' '
		|| (SELECT count(*) FROM tenancy_tenants) || ' ' || (SELECT count(*) FROM sqlite_master WHERE name LIKE 'tenancy_tenants_file_%');")" \
	"0: 0 2 2"
check_eq "14: ... and its tenants' hard links are still refused" \
	"$(sq "SELECT tenant_register('dh', 'delta_hard.db');" | grep -c "already belongs to tenant \"delta\"")" "1"
check_eq "14: ... and a new tenant still gets its file" \
	"$(sq "SELECT tenant_create('epsilon');" "SELECT count(*) FROM tenancy_tenants WHERE name = 'epsilon' AND file_ino IS NOT NULL;")" "$(printf 'epsilon\n1')"
mv "$sq_dir" "$sq_dir.moved"; sq_dir=$sq_dir.moved
check_eq "14: a moved registry folder keeps its identities: a companion file is still refused" \
	"$(sq "SELECT tenant_create('dj2', 'delta.db-journal');" | grep -c "already belongs to tenant \"delta\"")" "1"
rm -rf "$sq_dir"
