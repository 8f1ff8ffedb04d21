from spinestep.cli.main import main

main()
