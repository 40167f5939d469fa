# hdc-reportd %post: the system user (sysusers.d, or useradd without systemd),
# the state directory (tmpfiles.d: 0750 hdc-reportd), and on first
# installation the daemon unit enabled but not started (as the Debian
# package does). $1: 1 = install, 2 = upgrade.
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers hdc-reportd.conf || :
elif ! getent passwd hdc-reportd >/dev/null; then
	useradd --system --user-group --home-dir /var/lib/hdc-reportd --no-create-home \
		--shell /sbin/nologin --comment "hdc-reportd daemon" hdc-reportd || :
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create hdc-reportd.conf || :
else
	mkdir -p /var/lib/hdc-reportd/store/tmp || :
	chown hdc-reportd:hdc-reportd /var/lib/hdc-reportd /var/lib/hdc-reportd/store \
		/var/lib/hdc-reportd/store/tmp || :
	chmod 0750 /var/lib/hdc-reportd /var/lib/hdc-reportd/store || :
	chmod 0700 /var/lib/hdc-reportd/store/tmp || :
fi
if [ "$1" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload enable hdc-reportd.service >/dev/null 2>&1 || :
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || :
	if [ "$1" -ge 2 ]; then
		systemctl try-restart hdc-reportd.service >/dev/null 2>&1 || :
	fi
fi
