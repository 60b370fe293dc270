# Where accelnet's files go. Two kinds of destination:
#  - accelnet's own files (binaries, man pages, completion, documentation, the
#    simulated host) go under CMAKE_INSTALL_PREFIX, given relative to it, so that
#    whoever installs chooses the prefix: `cmake --install` the configured one,
#    CPack always /usr (Packaging.cmake), whatever this build was configured with;
#  - the files other programs look for, at the paths where those programs look:
#    libvirtd's hook directory, dbus-daemon's and polkitd's directories, systemd's
#    unit directory, and the daemon's own configuration and state directories (the
#    unit's StateDirectory= is /var/lib/accelnet). These are absolute and do not
#    follow the prefix (a hook under /usr/local/etc/libvirt is never run); each is a
#    cache variable for a system that puts them elsewhere.
# The binaries have only the second kind compiled in (config.h), so one build is
# right for any prefix. The two files that name where the binaries are (the unit's
# ExecStart= and the hook link's target) are written at install time, from the
# prefix the install runs with (Install.cmake).

set(ACCELNET_CONFIG_DIR "/etc/accelnet" CACHE PATH
    "accelnetd's configuration directory (accelnet.json, intents.d/), compiled in")
set(ACCELNET_STATE_DIR "/var/lib/accelnet" CACHE PATH
    "accelnetd's state directory, compiled in (the unit's StateDirectory=accelnet)")
set(ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR "/usr/lib/systemd/system" CACHE PATH
    "Where accelnetd.service goes (systemd reads /usr/lib/systemd/system on every distribution)")
set(ACCELNET_LIBVIRT_QEMU_HOOK_DIR "/etc/libvirt/hooks/qemu.d" CACHE PATH
    "libvirt's per-driver hook directory; the hook is linked there as 'accelnet'")
set(ACCELNET_DBUS_DIR "/usr/share/dbus-1" CACHE PATH
    "dbus-daemon's data directory: system.d (policy), system-services (activation), interfaces")
set(ACCELNET_POLKIT_ACTIONS_DIR "/usr/share/polkit-1/actions" CACHE PATH
    "polkitd's actions directory (org.accelnet1.policy)")
foreach(dir CONFIG_DIR STATE_DIR SYSTEMD_SYSTEM_UNIT_DIR LIBVIRT_QEMU_HOOK_DIR DBUS_DIR POLKIT_ACTIONS_DIR)
  if(NOT IS_ABSOLUTE "${ACCELNET_${dir}}")
    message(FATAL_ERROR "ACCELNET_${dir} must be an absolute path, not '${ACCELNET_${dir}}'")
  endif()
endforeach()

