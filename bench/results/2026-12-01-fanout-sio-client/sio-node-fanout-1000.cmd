node client.js --servers http://127.0.0.1:52149,http://127.0.0.1:55563,http://127.0.0.1:34767 --spectators 1000 --repeats 20
