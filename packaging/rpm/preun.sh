# accelnet %preun: $1 is 0 on erase, 1 or more on upgrade (nothing to do then).
if [ "$1" -eq 0 ]; then
    if [ -d /run/systemd/system ]; then
        systemctl stop accelnet-exporter.socket accelnet-exporter.service accelnetd.service >/dev/null 2>&1 || :
    fi
    systemctl disable accelnetd.service accelnet-exporter.service accelnet-exporter.socket >/dev/null 2>&1 || :
fi
