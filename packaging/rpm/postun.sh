# hdc-reportd %postun. rpm has no purge: on erase the state directory
# /var/lib/hdc-reportd (personal data), the secret and edited configuration
# (saved as .rpmsave) stay, like Debian's "remove"; delete them by hand:
#   rm -rf /var/lib/hdc-reportd /etc/hdc-reportd
# The hdc-reportd user stays, as on Debian.
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || :
fi
