# End-to-end MPI tests (included from tests/CMakeLists.txt).
set(E2E_WORK ${CMAKE_CURRENT_BINARY_DIR}/e2e)
set(E2E ${CMAKE_CURRENT_SOURCE_DIR}/e2e.sh)
set(E2E_ENV ${ATTN_MPI_ENV} PYTHON=${ATTN_PYTHON} MPIRUN=${MPIEXEC_EXECUTABLE})

add_test(NAME tools COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_tools.sh $<TARGET_FILE_DIR:attn_gen>)
set_tests_properties(tools PROPERTIES TIMEOUT 300 LABELS tools ENVIRONMENT "PYTHON=${ATTN_PYTHON}")

add_test(NAME e2e_setup COMMAND ${E2E} setup $<TARGET_FILE_DIR:attn_hpc> ${E2E_WORK})
set_tests_properties(e2e_setup PROPERTIES FIXTURES_SETUP e2e TIMEOUT 300 LABELS mpi
  ENVIRONMENT "${E2E_ENV}")

# Rank counts and grids: 1xP, Px1 where heads allow, 2x2, 2x3, 2x4, primes.
set(E2E_GRIDS_2 "1x2;2x1;auto")
set(E2E_GRIDS_3 "1x3;auto")
set(E2E_GRIDS_4 "2x2;1x4;4x1;auto")
set(E2E_GRIDS_5 "1x5")
set(E2E_GRIDS_6 "2x3;1x6")
set(E2E_GRIDS_7 "1x7")
set(E2E_GRIDS_8 "2x4;1x8;4x2")
foreach(P 2 3 4 5 6 7 8)
  add_test(NAME e2e_p${P} COMMAND ${E2E} run $<TARGET_FILE_DIR:attn_hpc> ${E2E_WORK} ${P} ${E2E_GRIDS_${P}})
  set_tests_properties(e2e_p${P} PROPERTIES FIXTURES_REQUIRED e2e TIMEOUT 900 LABELS mpi
    PROCESSORS 2 ENVIRONMENT "${E2E_ENV}")
endforeach()

foreach(x determinism split override output memory timing foreign)
  add_test(NAME e2e_${x} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/extra.sh ${x} $<TARGET_FILE_DIR:attn_hpc> ${E2E_WORK})
  set_tests_properties(e2e_${x} PROPERTIES TIMEOUT 600 LABELS mpi PROCESSORS 2
    ENVIRONMENT "${E2E_ENV}")
endforeach()

foreach(x kill full readonly)
  add_test(NAME faults_${x} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/faults.sh ${x} $<TARGET_FILE_DIR:attn_hpc> ${E2E_WORK})
  set_tests_properties(faults_${x} PROPERTIES TIMEOUT 600 LABELS "mpi;faults" PROCESSORS 2
    SKIP_RETURN_CODE 77 ENVIRONMENT "${E2E_ENV}")
endforeach()

add_test(NAME bench_smoke COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_smoke.sh ${CMAKE_BINARY_DIR})
set_tests_properties(bench_smoke PROPERTIES TIMEOUT 300 LABELS tools PROCESSORS 2 ENVIRONMENT "${E2E_ENV}")
