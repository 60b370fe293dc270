# Install rules for everything that is not a binary (the binaries' rules are in
# src/CMakeLists.txt): systemd unit, D-Bus and polkit files, default
# configuration, the simulated host, man pages, bash completion, and the libvirt
# hook link. Where each kind of file goes, and why, is in cmake/Paths.cmake.

# The D-Bus activation file (it names nothing that depends on the prefix).
configure_file(${PROJECT_SOURCE_DIR}/conf/org.accelnet1.service.in
               ${PROJECT_BINARY_DIR}/conf/org.accelnet1.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/conf/org.accelnet1.service DESTINATION ${ACCELNET_DBUS_DIR}/system-services)

# D-Bus policy, interface descriptions, polkit action.
install(FILES conf/org.accelnet1.conf DESTINATION ${ACCELNET_DBUS_DIR}/system.d)
install(FILES conf/org.accelnet1.Manager.xml conf/org.accelnet1.Hook.xml
        DESTINATION ${ACCELNET_DBUS_DIR}/interfaces)
install(FILES conf/org.accelnet1.policy DESTINATION ${ACCELNET_POLKIT_ACTIONS_DIR})

# Default configuration. accelnet.json holds the documented defaults; the sample
# intent is installed as an example so that nothing names adapters by surprise:
# copy it to intents.d/NAME.json and edit it (only *.json files are read).
install(FILES conf/accelnet.json DESTINATION ${ACCELNET_CONFIG_DIR})
install(FILES conf/intents.d/compute1.json DESTINATION ${ACCELNET_CONFIG_DIR}/intents.d
        RENAME compute1.json.example)

# The simulated host's description and configuration, as an example to copy and edit for
# `accelnetd --simulate=HOST.json` (the built-in host is compiled into accelnetd).
install(DIRECTORY conf/simulate/ DESTINATION ${CMAKE_INSTALL_DATADIR}/accelnet/simulate)

# Written at install time, from the prefix the install runs with: the systemd unit
# (ExecStart= names the daemon) and the libvirt hook link (it points at the hook).
# A directory given relative (the GNUInstallDirs default) is under that prefix.
install(CODE "
  foreach(_an_pair \"SBINDIR;${CMAKE_INSTALL_SBINDIR}\" \"BINDIR;${CMAKE_INSTALL_BINDIR}\"
                   \"LIBEXECDIR;${CMAKE_INSTALL_LIBEXECDIR}\")
    list(GET _an_pair 0 _an_name)
    list(GET _an_pair 1 _an_dir)
    if(IS_ABSOLUTE \"\${_an_dir}\")
      set(ACCELNET_FULL_\${_an_name} \"\${_an_dir}\")
    else()
      set(ACCELNET_FULL_\${_an_name} \"\${CMAKE_INSTALL_PREFIX}/\${_an_dir}\")
    endif()
  endforeach()

  foreach(_an_unit accelnetd.service accelnet-exporter.service)
    configure_file(\"${PROJECT_SOURCE_DIR}/systemd/\${_an_unit}.in\"
                   \"${PROJECT_BINARY_DIR}/systemd/install/\${_an_unit}\" @ONLY)
    list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES \"${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}/\${_an_unit}\")
    file(INSTALL DESTINATION \"${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}\" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${PROJECT_BINARY_DIR}/systemd/install/\${_an_unit}\")
  endforeach()

  # libvirtd runs every executable in hooks/qemu.d/.
  set(_an_hook_dir \"\$ENV{DESTDIR}${ACCELNET_LIBVIRT_QEMU_HOOK_DIR}\")
  set(_an_hook \"\${ACCELNET_FULL_LIBEXECDIR}/accelnet/accelnet-hook\")
  file(MAKE_DIRECTORY \"\${_an_hook_dir}\")
  message(STATUS \"Installing: \${_an_hook_dir}/accelnet -> \${_an_hook}\")
  file(CREATE_LINK \"\${_an_hook}\" \"\${_an_hook_dir}/accelnet\" SYMBOLIC)
  list(APPEND CMAKE_ABSOLUTE_DESTINATION_FILES \"${ACCELNET_LIBVIRT_QEMU_HOOK_DIR}/accelnet\")
")

# accelnet-exporter's socket unit names no path of ours.
install(FILES systemd/accelnet-exporter.socket DESTINATION ${ACCELNET_SYSTEMD_SYSTEM_UNIT_DIR}
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

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

# The Cockpit page (cockpit/): its own install component, packaged apart as cockpit-accelnet
# (cmake/Packaging.cmake); a plain `cmake --install` installs it with the rest. Cockpit finds
# packages in DATADIR/cockpit (and in the XDG data folders).
install(FILES cockpit/manifest.json cockpit/index.html cockpit/accelnet.js cockpit/accelnet.css
        DESTINATION ${CMAKE_INSTALL_DATADIR}/cockpit/accelnet COMPONENT cockpit)
install(FILES packaging/copyright ${PROJECT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/cockpit-accelnet COMPONENT cockpit)
