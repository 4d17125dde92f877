node client.js --servers http://127.0.0.1:51317,http://127.0.0.1:39877,http://127.0.0.1:48909 --spectators 10000 --repeats 20
