# aibud_library(NAME DIR [PUBLIC deps...] [PRIVATE deps...])
# A static library made of every .cpp directly in DIR. Headers are included from the
# project root ("storage/jobs_repo.hpp"), so a file names its layer in every include.
function(aibud_library name dir)
  cmake_parse_arguments(arg "" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${dir}/*.cpp")
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PUBLIC "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${name} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE})
  else()
    # A folder with no sources yet still takes part in the link graph.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${name} INTERFACE ${arg_PUBLIC})
  endif()
endfunction()
