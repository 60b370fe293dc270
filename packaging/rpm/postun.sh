# accelnet %postun. RPM has no purge: "rpm -e" keeps /var/lib/accelnet (the
# state, not owned by the package) and renames changed configuration files to
# *.rpmsave; remove them by hand: rm -rf /var/lib/accelnet /etc/accelnet
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
