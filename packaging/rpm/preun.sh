# accelnet %preun: $1 is 0 on erase, 1 or more on upgrade (nothing to do then).
if [ "$1" -eq 0 ]; then
    if [ -d /run/systemd/system ]; then
        systemctl stop accelnet-exporter.socket accelnet-exporter.service >/dev/null 2>&1 || :
        systemctl stop accelnetd.service >/dev/null 2>&1 || :
    fi
    systemctl disable accelnet-exporter.socket accelnet-exporter.service >/dev/null 2>&1 || :
    systemctl disable accelnetd.service >/dev/null 2>&1 || :
fi
