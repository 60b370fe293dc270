# Read by cpack for each generator (CPACK_PROJECT_CONFIG_FILE), before the generator runs.
#
# CPackRPM (CMake 3.25 and older) decides whether rpm knows weak dependencies by running
# "${RPM_EXECUTABLE} --suggests", a variable it never sets: the test always fails, and
# CPACK_RPM_PACKAGE_SUGGESTS is dropped with a warning. Point it at rpm, next to rpmbuild.
if(CPACK_GENERATOR STREQUAL "RPM" AND NOT RPM_EXECUTABLE)
  find_program(RPM_EXECUTABLE rpm)
endif()
