# CPack: a Debian package and an RPM from the same install tree.
#   cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF
#   cmake --build build-pkg && (cd build-pkg && cpack -G "DEB;RPM")
# The packages install to /usr (binaries, data, man pages) and to the system's own
# paths (/etc/accelnet, /etc/libvirt/hooks/qemu.d, /usr/share/dbus-1, ...) whatever
# CMAKE_INSTALL_PREFIX this build was configured with: cpack runs the install with
# the prefix /usr, the system paths are absolute (cmake/Paths.cmake), and the
# binaries have only those compiled in.

set(ACCELNET_PACKAGE_CONTACT "accelnet maintainers <accelnet@lists.accelnet.org>" CACHE STRING
    "Maintainer of the DEB/RPM packages (Name <address>)")
set(AN_PACKAGE_PREFIX /usr)

# Debian wants a copyright file and a compressed changelog in /usr/share/doc/accelnet.
string(TIMESTAMP AN_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${PROJECT_BINARY_DIR}/packaging/changelog @ONLY)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/packaging/changelog.gz
                   COMMAND ${GZIP} -9 -n -f -k ${PROJECT_BINARY_DIR}/packaging/changelog
                   DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog VERBATIM)
add_custom_target(package-docs ALL DEPENDS ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
if(EXISTS ${PROJECT_SOURCE_DIR}/packaging/lintian-overrides)
  install(FILES packaging/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
          RENAME accelnet)
endif()

set(CPACK_PACKAGE_NAME accelnet)
set(CPACK_PACKAGE_VENDOR accelnet)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${ACCELNET_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Accelerated Networking: SR-IOV VFs for libvirt VMs")
set(CPACK_PACKAGE_DESCRIPTION
"accelnet brings Accelerated Networking to Linux/KVM hosts. The daemon,
accelnetd, finds the SR-IOV capable network adapters, checks that the host
can use them (IOMMU, ACS, PF driver, bus numbers), creates virtual functions
and hands them to libvirt VMs with a performance tier, paired with the VM's
virtio NIC so that the guest falls back to it whenever the VF is taken away.
It keeps a share of the capacity in reserve for failover and migration and
puts every VF back the way it found it. It is managed over D-Bus
(org.accelnet1), with the accelnetctl command and a libvirt hook.
accelnet-exporter (not enabled by default) serves Prometheus metrics.")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/accelnet/accelnet")
# Install with DESTDIR so that the absolute destinations (/etc, /usr/lib/systemd) land
# in the package and never on the build machine; with DESTDIR, CPack installs with the
# prefix CPACK_INSTALL_PREFIX (the build's CMAKE_INSTALL_PREFIX unless set).
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGE_RELOCATABLE OFF) # /etc paths: not relocatable (and DESTDIR rules it out)
set(CPACK_INSTALL_PREFIX "${AN_PACKAGE_PREFIX}")
set(CPACK_PACKAGING_INSTALL_PREFIX "${AN_PACKAGE_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;RPM")
set(CPACK_PACKAGE_FILE_NAME_DEFAULT OFF)

# ---- DEB ----------------------------------------------------------------------------
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# Beyond the libraries: the system bus, and deb-systemd-helper for the maintainer scripts.
# accelnet-exporter's libmicrohttpd12 comes from dpkg-shlibdeps (libmicrohttpd.so.12 from
# AUTOREQ in the RPM); building needs libmicrohttpd-dev (scripts/deps.sh).
# dpkg-shlibdeps finds the libraries, with their minimum versions, corosync's client
# libraries too (accelnetd links them: libcpg4, libvotequorum8, libcmap4,
# libcorosync-common4 on Debian 12). corosync itself is only needed for cluster mode:
# without it the host is a cluster of one.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "default-dbus-system-bus | dbus-system-bus, init-system-helpers (>= 1.61)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libvirt-daemon-system, polkitd, pci.ids, corosync")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Every file under /etc is a conffile; the hook link in /etc/libvirt is not a file.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
    ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm
    ${PROJECT_BINARY_DIR}/packaging/conffiles)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles
     "${ACCELNET_CONFIG_DIR}/accelnet.json\n"
     "${ACCELNET_CONFIG_DIR}/intents.d/compute1.json.example\n")

# ---- RPM ----------------------------------------------------------------------------
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "LGPL-2.1-or-later")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_URL "${CPACK_PACKAGE_HOMEPAGE_URL}")
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_AUTOREQ ON)
set(CPACK_RPM_PACKAGE_AUTOPROV ON)
# AUTOREQ requires the libraries by soname (libcpg.so.4, libvotequorum.so.8, libcmap.so.4,
# libcorosync_common.so.4: corosynclib on Fedora and RHEL, other names elsewhere). CPack
# 3.25 has no Recommends for RPM, only Suggests: corosync is suggested, as cluster mode
# needs it.
set(CPACK_RPM_PACKAGE_REQUIRES "dbus")
set(CPACK_RPM_PACKAGE_SUGGESTS "corosync")
# Without it CPack 3.25 drops the Suggests (see the file).
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/CPackProjectConfig.cmake)
set(CPACK_RPM_POST_INSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/post.sh)
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/preun.sh)
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/rpm/postun.sh)
set(CPACK_RPM_USER_FILELIST
    "%config(noreplace) ${ACCELNET_CONFIG_DIR}/accelnet.json"
    "%config(noreplace) ${ACCELNET_CONFIG_DIR}/intents.d/compute1.json.example"
    "%dir ${ACCELNET_CONFIG_DIR}/intents.d"
    # CPack would mark every absolute destination %config: these are not. (An entry
    # needs some %directive: CPack 3.25 reuses the previous entry's otherwise.)
    "%attr(-,root,root) ${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}/accelnetd.service"
    "%attr(-,root,root) ${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}/accelnet-exporter.service"
    "%attr(-,root,root) ${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}/accelnet-exporter.socket"
    "%attr(-,root,root) ${ACCELNET_LIBVIRT_QEMU_HOOK_DIR}/accelnet"
    "%attr(-,root,root) ${ACCELNET_DBUS_DIR}/system.d/org.accelnet1.conf"
    "%attr(-,root,root) ${ACCELNET_DBUS_DIR}/system-services/org.accelnet1.service"
    "%attr(-,root,root) ${ACCELNET_DBUS_DIR}/interfaces/org.accelnet1.Manager.xml"
    "%attr(-,root,root) ${ACCELNET_DBUS_DIR}/interfaces/org.accelnet1.Hook.xml"
    "%attr(-,root,root) ${ACCELNET_POLKIT_ACTIONS_DIR}/org.accelnet1.policy")
set(CPACK_RPM_SPEC_MORE_DEFINE "%define _build_id_links none")
# Directories that belong to the system (filesystem, systemd, dbus, polkit, libvirt,
# bash-completion packages), not to accelnet.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
    /etc/libvirt /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d
    /lib /lib/systemd /lib/systemd/system /usr/lib /usr/lib/systemd /usr/lib/systemd/system
    /usr/bin /usr/sbin /usr/libexec /usr/share/dbus-1 /usr/share/dbus-1/system.d /usr/share/dbus-1/system-services
    /usr/share/dbus-1/interfaces /usr/share/polkit-1 /usr/share/polkit-1/actions
    /usr/share/bash-completion /usr/share/bash-completion/completions
    /usr/share/lintian /usr/share/lintian/overrides
    /usr/share/man /usr/share/man/man1 /usr/share/man/man5 /usr/share/man/man8
    /usr/share/doc)

# The accelnet package is everything but the Cockpit page (install component "cockpit"),
# which is a package of its own, cockpit-accelnet (below).
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};Unspecified;/")

include(CPack)

# cockpit-accelnet: the Cockpit page alone, architecture-independent, depending on
# cockpit-bridge (it talks to accelnetd on the bus, which may be on this host or not yet
# installed: no dependency on accelnet). Its own CPack configuration, which reads the main one
# and changes what differs:
#   cpack --config CPackConfig-cockpit.cmake -G "DEB;RPM"
configure_file(${PROJECT_SOURCE_DIR}/cmake/CPackCockpitConfig.cmake.in
               ${PROJECT_BINARY_DIR}/CPackConfig-cockpit.cmake @ONLY)
