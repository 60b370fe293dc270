# Install rules for everything that is not a binary (the binaries' rules are in
# src/CMakeLists.txt): systemd unit, D-Bus and polkit files, default
# configuration, the simulated host, man pages, bash completion, and the libvirt
# hook link. Paths that must be absolute on a /usr system (/etc, /lib/systemd)
# use the FULL_ variables: GNUInstallDirs maps sysconfdir to /etc for prefix /usr.

find_package(PkgConfig REQUIRED)
pkg_get_variable(AN_PC_SYSTEMD_UNIT_DIR systemd systemdsystemunitdir)
if(NOT AN_PC_SYSTEMD_UNIT_DIR)
  set(AN_PC_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(ACCELNET_SYSTEMD_UNIT_DIR "${AN_PC_SYSTEMD_UNIT_DIR}" CACHE PATH
    "Where accelnetd.service goes (default: pkg-config systemd's systemdsystemunitdir)")

set(ACCELNET_LIBVIRT_HOOK_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/libvirt/hooks/qemu.d" CACHE PATH
    "libvirt's per-driver hook directory; the hook is linked there as 'accelnet'")
set(AN_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/accelnet")
set(AN_HOOK_BINARY "${CMAKE_INSTALL_FULL_LIBEXECDIR}/accelnet/accelnet-hook")

# systemd unit and D-Bus activation file, from templates.
configure_file(${PROJECT_SOURCE_DIR}/systemd/accelnetd.service.in
               ${PROJECT_BINARY_DIR}/systemd/accelnetd.service @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/conf/org.accelnet1.service.in
               ${PROJECT_BINARY_DIR}/conf/org.accelnet1.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/systemd/accelnetd.service DESTINATION ${ACCELNET_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_BINARY_DIR}/conf/org.accelnet1.service
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system-services)

# D-Bus policy, interface descriptions, polkit action.
install(FILES conf/org.accelnet1.conf DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/system.d)
install(FILES conf/org.accelnet1.Manager.xml conf/org.accelnet1.Hook.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbus-1/interfaces)
install(FILES conf/org.accelnet1.policy DESTINATION ${CMAKE_INSTALL_DATADIR}/polkit-1/actions)

# Default configuration. accelnet.json holds the documented defaults; the sample
# intent is installed as an example so that nothing names adapters by surprise:
# copy it to intents.d/NAME.json and edit it (only *.json files are read).
install(FILES conf/accelnet.json DESTINATION ${AN_CONFDIR})
install(FILES conf/intents.d/compute1.json DESTINATION ${AN_CONFDIR}/intents.d
        RENAME compute1.json.example)

# The simulated host (accelnetd --simulate) and its configuration.
install(DIRECTORY conf/simulate/ DESTINATION ${CMAKE_INSTALL_DATADIR}/accelnet/simulate)

# The libvirt hook: libvirtd runs every executable in hooks/qemu.d/.
install(CODE "
  set(_dir \"\$ENV{DESTDIR}${ACCELNET_LIBVIRT_HOOK_DIR}\")
  file(MAKE_DIRECTORY \"\${_dir}\")
  message(STATUS \"Installing: \${_dir}/accelnet -> ${AN_HOOK_BINARY}\")
  file(CREATE_LINK \"${AN_HOOK_BINARY}\" \"\${_dir}/accelnet\" SYMBOLIC)
  list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES \"${ACCELNET_LIBVIRT_HOOK_DIR}/accelnet\")
")

# Man pages: every man/NAME.SECTION that exists, compressed as Debian and
# Fedora install them (gzip -n: no name or time stamp, so builds reproduce).
find_program(GZIP gzip REQUIRED)
file(GLOB AN_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.[1-8])
set(AN_MAN_GZ)
foreach(page ${AN_MAN_PAGES})
  get_filename_component(name ${page} NAME)
  string(REGEX REPLACE ".*\\.([1-8])$" "\\1" section "${name}")
  set(gz ${PROJECT_BINARY_DIR}/man/${name}.gz)
  add_custom_command(OUTPUT ${gz}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
                     COMMAND ${CMAKE_COMMAND} -E copy ${page} ${PROJECT_BINARY_DIR}/man/${name}
                     COMMAND ${GZIP} -9 -n -f ${PROJECT_BINARY_DIR}/man/${name}
                     DEPENDS ${page} VERBATIM)
  list(APPEND AN_MAN_GZ ${gz})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(man-pages ALL DEPENDS ${AN_MAN_GZ})

install(FILES completion/accelnetctl DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
