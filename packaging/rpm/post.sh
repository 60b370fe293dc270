# accelnet %post: $1 is 1 on installation, 2 or more on upgrade.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload >/dev/null 2>&1 || :
fi
if [ "$1" -eq 1 ]; then
    systemctl enable accelnetd.service >/dev/null 2>&1 || :
    if [ -d /run/systemd/system ]; then
        systemctl start accelnetd.service >/dev/null 2>&1 || :
    fi
elif [ -d /run/systemd/system ]; then
    systemctl try-restart accelnetd.service accelnet-exporter.service >/dev/null 2>&1 || :
fi
