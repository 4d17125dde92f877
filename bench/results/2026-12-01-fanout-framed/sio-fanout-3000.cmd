node client.js --servers http://127.0.0.1:57845,http://127.0.0.1:56359,http://127.0.0.1:46743 --spectators 3000 --repeats 20
