# hdc-reportd %preun: on erase ($1 = 0) stop and disable the daemon and the
# nightly timer; an upgrade ($1 >= 1) leaves them to %post.
if [ "$1" -eq 0 ] && command -v systemctl >/dev/null 2>&1; then
	systemctl --no-reload disable --now hdc-reportd.service hdc-reportd-once.timer \
		hdc-reportd-once.service >/dev/null 2>&1 || :
fi
