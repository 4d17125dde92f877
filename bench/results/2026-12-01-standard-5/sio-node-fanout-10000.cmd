node client.js --servers http://127.0.0.1:51613,http://127.0.0.1:36139,http://127.0.0.1:50041 --spectators 10000 --repeats 20
